package io.credpool.cli;

import io.credpool.bench.Bench;
import io.credpool.bench.BenchEnv;
import io.credpool.bench.LatencyPlot;
import io.credpool.bench.Report;
import io.credpool.bench.MicroVmSuite;
import io.credpool.bench.PoolSuite;
import io.credpool.bench.ScalingSuite;
import io.credpool.bench.ScanSuite;
import io.credpool.bench.SecretsSuite;
import io.credpool.bench.StartSuite;
import io.credpool.bench.ThroughputSuite;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** `credpool bench`: measured latency and throughput against baselines measured in the same run. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Benchmark task start latency, throughput and the secrets store, each against a baseline",
            "measured in the same run (bare fork/exec, bare bubblewrap, an in-memory map), in a throwaway",
            "home. Prints p50, p99 and ratios. Exits non-zero, printing no number, if any case fails.",
            "Timings are noisy on small machines: compare ratios, and repeat."})
final class BenchCommand implements Callable<Integer> {
    enum Suite { START, POOL, THROUGHPUT, SECRETS, SCAN, SCALING, ROTATION, MICROVM, ALL }

    enum Format { TEXT, MD, JSON }

    /** What the command measures; a field so that a test can run a deliberately failing case through it. */
    @FunctionalInterface
    interface Suites {
        void run(Bench bench, BenchEnv env) throws Exception;
    }

    Suites suites = this::runSuites;

    @Spec
    CommandSpec spec;

    @Option(names = "--suite", paramLabel = "NAME", description = "start, pool, throughput, secrets, scan, scaling, rotation, microvm"
            + " or all (default: all; all leaves out microvm, which boots VMs for minutes and needs `credpool image build`'s packages)")
    Suite suite = Suite.ALL;

    @Option(names = "--quick", description = "fewer repetitions: finishes in well under a minute on two cores")
    boolean quick;

    @Option(names = "--output", paramLabel = "text|md|json", description = "output format (default: text)")
    Format output = Format.TEXT;

    @Option(names = "--plot", paramLabel = "FILE.png", description = "also draw the latency samples of this run as a PNG")
    java.nio.file.Path plot;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Bench bench = new Bench(quick, System.err);
        System.err.println("credpool bench: " + (quick ? "quick run" : "full run") + "; progress on stderr, results on stdout");
        try (BenchEnv env = new BenchEnv()) {
            suites.run(bench, env);
        } catch (Bench.CaseFailed e) {
            System.err.println();
            spec.commandLine().getErr().println("credpool: benchmark case failed, no numbers printed: " + e.getMessage());
            return Main.EXIT_ERROR;
        }
        String command = "./credpool bench --suite " + suite.name().toLowerCase(Locale.ROOT) + (quick ? " --quick" : "")
                + (plot != null ? " --plot " + plot : "");
        if (plot != null) {
            // Drawn only after every case passed: a failed run leaves no picture, as it prints no number.
            Map<String, String> machine = Report.machine();
            LatencyPlot.write(bench.rows(), command + "\n" + machine.get("cpu") + "; " + machine.get("memory") + "; java "
                    + machine.get("java") + "; load average " + machine.get("load") + " at the end of the run", plot);
            System.err.println("credpool bench: latency plot written to " + plot);
        }
        switch (output) {
            case TEXT -> out.print(Report.text(bench.rows()));
            case MD -> out.print(Report.markdown(bench.rows(), command + " --output md"));
            case JSON -> out.println(Json.write(Report.json(bench.rows())));
        }
        out.flush();
        return 0;
    }

    /** Runs the suites chosen by --suite, in the order the report prints them. */
    private void runSuites(Bench bench, BenchEnv env) throws Exception {
        if (suite == Suite.START || suite == Suite.ALL) {
            StartSuite.run(bench, env);
        }
        if (suite == Suite.POOL || suite == Suite.ALL) {
            PoolSuite.run(bench, env);
        }
        if (suite == Suite.THROUGHPUT || suite == Suite.ALL) {
            ThroughputSuite.run(bench, env);
        }
        if (suite == Suite.SECRETS || suite == Suite.ALL) {
            SecretsSuite.run(bench, env);
        }
        if (suite == Suite.SCAN || suite == Suite.ALL) {
            ScanSuite.run(bench, System.err);
        }
        if (suite == Suite.SCALING || suite == Suite.ALL) {
            ScalingSuite.run(bench, env);
        }
        if (suite == Suite.ROTATION || suite == Suite.ALL) {
            io.credpool.bench.RotationSuite.run(bench, System.err);
        }
        if (suite == Suite.MICROVM) {
            MicroVmSuite.run(bench, env, System.err);
        }
    }
}
