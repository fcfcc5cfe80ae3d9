package io.credpool.config;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses and prints byte sizes as people write them: 512KB, 8MB, 2GB (powers of 1024). */
public final class Sizes {
    private static final Pattern FORM = Pattern.compile("(\\d{1,12})\\s*(B|KB|KiB|MB|MiB|GB|GiB)?");

    private Sizes() {
    }

    public static long parse(String text) {
        Matcher m = FORM.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a size; write a number and a unit, e.g. 512KB, 8MB, 2GB");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "B" : m.group(2);
        return switch (unit.charAt(0)) {
            case 'K' -> n << 10;
            case 'M' -> n << 20;
            case 'G' -> n << 30;
            default -> n;
        };
    }

    public static String format(long bytes) {
        if (bytes >= 1L << 30 && bytes % (1L << 30) == 0) {
            return (bytes >> 30) + " GB";
        } else if (bytes >= 1L << 20) {
            return String.format(java.util.Locale.ROOT, "%.1f MB", bytes / (double) (1L << 20));
        } else if (bytes >= 1L << 10) {
            return String.format(java.util.Locale.ROOT, "%.1f KB", bytes / (double) (1L << 10));
        }
        return bytes + " B";
    }
}
