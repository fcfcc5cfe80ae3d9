package io.credpool.testing;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/** Captures every log event of the io.credpool and AWS SDK loggers, to assert no secret is logged. */
public final class LogCapture implements AutoCloseable {
    private final List<Logger> loggers;
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    public LogCapture() {
        loggers = List.of((Logger) LoggerFactory.getLogger("io.credpool"), (Logger) LoggerFactory.getLogger("software.amazon.awssdk"));
        appender.start();
        loggers.forEach(l -> l.addAppender(appender));
    }

    /** Every captured line, formatted, with its exception's messages. */
    public String text() {
        StringBuilder b = new StringBuilder();
        for (ILoggingEvent e : List.copyOf(appender.list)) {
            b.append(e.getFormattedMessage()).append('\n');
            for (var t = e.getThrowableProxy(); t != null; t = t.getCause()) {
                b.append(t.getMessage()).append('\n');
            }
        }
        return b.toString();
    }

    @Override
    public void close() {
        loggers.forEach(l -> l.detachAppender(appender));
        appender.stop();
    }
}
