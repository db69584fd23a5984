package org.bandalign.job;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code keys}: prints every configuration key with its type, default and description, as the
 * README's Markdown table or, with {@code --template}, as the commented block that ends
 * {@code conf/spark-defaults.conf} (a test keeps both in step with {@link JobKeys}).
 */
@Command(name = "keys", mixinStandardHelpOptions = true, description = "List the job's configuration keys as a Markdown table.")
final class KeysCommand implements Runnable {
    /** Where {@link #template()} wraps its comment lines. */
    static final int TEMPLATE_WIDTH = 100;
    /** The column the defaults start in, after a commented-out key. */
    private static final int VALUE_COLUMN = 46;

    @Option(names = "--template", description = "Print them as the commented block that ends conf/spark-defaults.conf instead.")
    boolean template;

    @Override
    public void run() {
        System.out.print(template ? template() : table());
    }

    /** The README's table of the keys. */
    static String table() {
        StringBuilder out = new StringBuilder("| key | type | default | description |\n|---|---|---|---|\n");
        for (JobKey<?> k : JobKeys.all()) {
            out.append("| `").append(k.name()).append("` | ").append(k.type()).append(" | ").append(k.defaultValue())
                    .append(" | ").append(k.description()).append(" |\n");
        }
        return out.toString();
    }

    /**
     * The keys as {@code conf/spark-defaults.conf} lists them: for each, its type and description
     * (and its flag) as comment lines, then the key commented out with its default.
     */
    static String template() {
        StringBuilder out = new StringBuilder();
        for (JobKey<?> k : JobKeys.all()) {
            String text = k.type() + ": " + k.description() + (k.flag() == null ? "" : " Flag: " + k.flag() + ".");
            out.append('\n');
            wrapComment(text, out);
            String line = "# " + k.name();
            out.append(line).append(" ".repeat(Math.max(1, VALUE_COLUMN - line.length()))).append(k.defaultValue()).append('\n');
        }
        return out.toString();
    }

    /** {@code text} as "# " lines of at most {@link #TEMPLATE_WIDTH} characters, broken at blanks. */
    private static void wrapComment(String text, StringBuilder out) {
        StringBuilder line = new StringBuilder("#");
        for (String word : text.split(" ")) {
            if (line.length() > 1 && line.length() + 1 + word.length() > TEMPLATE_WIDTH) {
                out.append(line).append('\n');
                line.setLength(1);
            }
            line.append(' ').append(word);
        }
        out.append(line).append('\n');
    }
}
