package org.bandalign.job;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The command line: {@code bin/bandalign SUBCOMMAND ...} on one machine, or
 * {@code spark-submit --class org.bandalign.job.BandAlign bandalign-job.jar align ...} on a
 * cluster, with the same flags.
 */
@Command(name = "bandalign", mixinStandardHelpOptions = true, version = "bandalign 0.1.0",
        description = "Banded forward-backward alignment of sequence-pair score tensors on Spark.",
        subcommands = {AlignCommand.class, GenerateCommand.class, PlotCommand.class, BandedDemoCommand.class,
                KeysCommand.class, BenchEngineCommand.class})
public final class BandAlign {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit code. */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new BandAlign());
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            Throwable user = userError(e);
            if (user != null) {
                commandLine.getErr().println("bandalign: " + user.getMessage());
                return 2;
            }
            throw e;
        });
        return cli.execute(args);
    }

    private static Throwable userError(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof UserError || t instanceof IllegalArgumentException && t.getMessage() != null
                    && t.getMessage().startsWith("input ")) {
                return t;
            }
        }
        return null;
    }
}
