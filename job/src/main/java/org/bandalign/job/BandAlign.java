package org.bandalign.job;

import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The command line: {@code bin/bandalign SUBCOMMAND ...} on one machine, or
 * {@code spark-submit --class org.bandalign.job.BandAlign bandalign-job.jar align ...} on a
 * cluster, with the same flags; without a subcommand, as SPEC section 5 writes it
 * ({@code --input PATH --output DIR ...}), the flags are {@code align}'s.
 */
@Command(name = "bandalign", mixinStandardHelpOptions = true, versionProvider = BandAlign.Version.class,
        description = "Banded forward-backward alignment of sequence-pair score tensors on Spark.",
        subcommands = {AlignCommand.class, GenerateCommand.class, PlotCommand.class, BandedDemoCommand.class,
                KeysCommand.class, DevicesCommand.class, BenchEngineCommand.class})
public final class BandAlign {
    /** "bandalign" and the project's version, as Maven built it ({@code version.properties}). */
    static final String VERSION = "bandalign " + projectVersion();

    /** -V's words. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {VERSION};
        }
    }

    private static String projectVersion() {
        java.util.Properties p = new java.util.Properties();
        try (java.io.InputStream in = BandAlign.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (java.io.IOException e) {
            // (no version to tell: said as unknown)
        }
        String v = p.getProperty("version", "");
        return v.isEmpty() || v.startsWith("${") ? "(version unknown: built without Maven's resource filtering)" : v;
    }

    public static void main(String[] args) {
        String noSpark = SparkRuntime.missing(BandAlign.class.getClassLoader());
        if (noSpark != null) {   // (before picocli, which loads the commands' classes, and with them Spark's)
            System.err.println("bandalign: " + noSpark);
            System.exit(2);
        }
        StopSignals.install();
        System.exit(run(args));
    }

    /** Environment variable: when set, a failure prints its whole stack trace. */
    static final String TRACE_ENV = "BANDALIGN_TRACE";

    /**
     * Runs the command line and returns its exit code: 0, 2 for a mistake in the invocation or
     * the input (one line saying what), 1 for any other failure (one line with its cause; the
     * stack trace with {@value #TRACE_ENV}=1).
     */
    public static int run(String... args) {
        return run(null, null, args);
    }

    /**
     * What a command line picocli refused says, in one line: an unknown option first, with what
     * it may have meant (picocli names a missing required option first, so that a mistyped
     * {@code --inptu} read "Missing required option: '--input=PATH'"), and picocli's
     * "option option" said once.
     */
    static String parameterMistake(CommandLine.ParameterException e) {
        CommandLine where = e.getCommandLine();
        CommandLine.ParameterException shown = e;
        if (e instanceof CommandLine.MissingParameterException && !where.getUnmatchedArguments().isEmpty()) {
            shown = new CommandLine.UnmatchedArgumentException(where, where.getUnmatchedArguments());
        }
        String message = shown.getMessage().replace("option option '", "option '");
        if (shown instanceof CommandLine.UnmatchedArgumentException unmatched) {
            // (picocli names the unknown option's value an option too: "Unknown options: '--inptu', 'x'")
            List<String> options = unmatched.getUnmatched().stream().filter(a -> a.matches("--?[A-Za-z].*")).toList();
            if (!options.isEmpty()) {
                message = "Unknown option" + (options.size() > 1 ? "s" : "") + ": '" + String.join("', '", options) + "'";
            }
            if (!unmatched.getSuggestions().isEmpty()) {
                message += "; did you mean " + String.join(" or ", unmatched.getSuggestions()) + "?";
            }
        }
        return message;
    }

    /** {@link #run(String...)} writing to {@code out} and {@code err} instead of the console (null: the console). */
    static int run(java.io.PrintWriter out, java.io.PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new BandAlign());
        if (out != null) {
            cli.setOut(out);
        }
        if (err != null) {
            cli.setErr(err);
        }
        cli.getSubcommands().values().forEach(sub -> sub.getCommandSpec().version(VERSION));   // -V works everywhere
        cli.setParameterExceptionHandler((e, arguments) -> {   // one line, not the whole help
            CommandLine where = e.getCommandLine();
            where.getErr().println("bandalign: " + parameterMistake(e));
            where.getErr().println(seeHelp(where));
            return 2;
        });
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            Throwable user = userError(e);
            if (user != null) {
                commandLine.getErr().println("bandalign: " + oneLine(user.getMessage()));
                if (user instanceof UserError u && u.badFlag) {
                    commandLine.getErr().println(seeHelp(commandLine));
                }
                return 2;
            }
            if (System.getenv(TRACE_ENV) != null) {
                throw e;
            }
            if (shuttingDown()) {   // (Ctrl-C or SIGTERM: Spark's hook stopped the call, no failure of its own)
                if (!AlignJob.STOP_SAID_BY_HOOK.get()) {
                    String signal = StopSignals.received();
                    commandLine.getErr().println("bandalign: stopped (" + (signal != null ? signal : "Ctrl-C, SIGTERM or Spark's own exit")
                            + ") before it was done"
                            + (commandLine.getCommandName().equals("align") ? "; it had written nothing yet" : ""));
                }
                return 1;
            }
            String outOfMemory = outOfMemory(e);
            String shown = describe(cause(e));
            commandLine.getErr().println("bandalign: failed: " + oneLine(outOfMemory != null ? outOfMemory
                    : shown + stoppedHint(e) + ReadFailures.hint(e, shown, commandLine.getCommandName().equals("align"))));
            commandLine.getErr().println("bandalign: (" + TRACE_ENV + "=1 prints the stack trace)");
            return 1;
        });
        CommandLine.Model.CommandSpec align = cli.getSubcommands().get("align").getCommandSpec();
        String misplaced = misplacedSubcommand(args, cli.getSubcommands().keySet(), option -> {
            CommandLine.Model.OptionSpec spec = align.findOption(option);
            return spec != null && spec.arity().max() > 0;
        });
        if (misplaced != null) {
            cli.getErr().println("bandalign: " + misplaced);
            return 2;
        }
        return cli.execute(withDefaultCommand(args));
    }

    /**
     * Where options come before a subcommand other than align ({@code --conf K=V devices}),
     * what to write instead, else null: such a line was taken for align's (SPEC's form without a
     * subcommand), and refused for align's missing --input, naming neither the subcommand nor
     * the order (a cluster walk-through). A subcommand's name that is the value of the option
     * before it ({@code --input plot}: {@code takesValue} of that option) is no subcommand.
     */
    static String misplacedSubcommand(String[] args, java.util.Set<String> subcommands,
                                      java.util.function.Predicate<String> takesValue) {
        if (args.length == 0 || !args[0].startsWith("-") || TOOL_OPTIONS.contains(args[0])) {
            return null;
        }
        for (int k = 1; k < args.length; k++) {
            String before = args[k - 1];
            boolean valueOfBefore = before.startsWith("-") && !before.contains("=") && takesValue.test(before);
            if (subcommands.contains(args[k]) && !args[k].equals("align") && !valueOfBefore) {
                java.util.List<String> fixed = new java.util.ArrayList<>();
                fixed.add(args[k]);
                fixed.addAll(java.util.List.of(args).subList(0, k));
                fixed.addAll(java.util.List.of(args).subList(k + 1, args.length));
                return "'" + args[k] + "' comes after options: a subcommand comes first, then its options: bandalign "
                        + String.join(" ", fixed.stream().map(BandAlign::shellWord).toList());
            }
        }
        return null;
    }

    /** {@code word} as a POSIX shell reads it back: quoted where it holds anything but plain characters. */
    static String shellWord(String word) {
        return word.matches("[A-Za-z0-9_./:=,@%+-]+") ? word : "'" + word.replace("'", "'\\''") + "'";
    }

    private static String seeHelp(CommandLine command) {
        return "bandalign: see '" + command.getCommandSpec().qualifiedName() + " --help'";
    }

    /** Whether the JVM is going down (its shutdown hooks run): then no hook can be added. */
    static boolean shuttingDown() {
        Thread probe = new Thread(() -> { });
        try {
            Runtime.getRuntime().addShutdownHook(probe);
        } catch (IllegalStateException e) {
            return true;
        }
        Runtime.getRuntime().removeShutdownHook(probe);
        return false;
    }

        /** A message on one line: line breaks (an id may hold them) written as backslash-n and backslash-r. */
    static String oneLine(String message) {
        return message == null ? null : message.replace("\r", "\\r").replace("\n", "\\n");
    }

    /**
     * SPEC section 5's command line names no subcommand ({@code --input PATH --output DIR ...}):
     * arguments that start with an option other than the tool's own (help, version) are
     * {@code align}'s.
     */
    static String[] withDefaultCommand(String[] args) {
        if (args.length == 0 || !args[0].startsWith("-") || TOOL_OPTIONS.contains(args[0])) {
            return args;
        }
        String[] withAlign = new String[args.length + 1];
        withAlign[0] = "align";
        System.arraycopy(args, 0, withAlign, 1, args.length);
        return withAlign;
    }

    /** The options of the tool itself rather than of a subcommand. */
    private static final java.util.Set<String> TOOL_OPTIONS = java.util.Set.of("-h", "--help", "-V", "--version");

    /**
     * The cause worth showing: a task's failure reaches the driver wrapped in Spark's
     * exceptions, so the first exception in the chain that is not Spark's (it says what failed
     * in BandAlign's or the library's words), else the deepest one with a message.
     */
    static Throwable cause(Throwable e) {
        Throwable deepest = e;
        for (Throwable t = e; t != null && t != t.getCause(); t = t.getCause()) {
            String name = t.getClass().getName();
            if (t.getMessage() != null && !name.startsWith("org.apache.spark.") && !name.startsWith("scala.")) {
                return t;
            }
            if (t.getMessage() != null) {
                deepest = t;
            }
        }
        return deepest;
    }

    /**
     * Where Spark stopped the application itself before the job was done (a standalone master
     * that never answered, a cluster manager that killed it), the job's own call fails with words
     * about a stopped context that do not say why; the reason is in Spark's log above.
     */
    static String stoppedHint(Throwable e) {
        for (Throwable t = e; t != null && t != t.getCause(); t = t.getCause()) {
            String m = String.valueOf(t.getMessage());
            if (m.contains("LiveListenerBus is stopped") || m.contains("stopped SparkContext") || m.contains("SparkContext was shut down")
                    || m.contains("\"org.apache.spark.SparkContext.dagScheduler()\" is null")) {
                return " (Spark stopped the application before the job was done: with a cluster master, check that it is running"
                        + " and reachable; in local mode a task ran out of memory if Spark's log above shows an OutOfMemoryError"
                        + " (the exit code is then 52): give the JVM more memory (BANDALIGN_JAVA_OPTS=-Xmx...) or run fewer tasks at"
                        + " once (--master local[N]); Spark's log above says why, e.g. 'All masters are unresponsive')";
            }
        }
        return "";
    }

    /**
     * Where a task ran out of memory, what to do about it, with the error as Spark reported it
     * (a task's OutOfMemoryError as the driver sees it, in the text of Spark's exceptions; an
     * executor that exited with Spark's out-of-memory code 52, as a standalone master, YARN or
     * Kubernetes words it; or the vectorized reader's own words, whose advice to shrink its
     * batch does not apply: the job already reads large rows one or a few at a time); else null.
     */
    static String outOfMemory(Throwable e) {
        StringBuilder chain = new StringBuilder();   // (a thrown OutOfMemoryError is in it as text too)
        for (Throwable t = e; t != null && t != t.getCause(); t = t.getCause()) {
            chain.append(t).append('\n');
        }
        String text = chain.toString();
        java.util.regex.Matcher oom = java.util.regex.Pattern.compile("java\\.lang\\.OutOfMemoryError[^\\n]*").matcher(text);
        boolean outOfMemory = oom.find();
        java.util.regex.Matcher reader = java.util.regex.Pattern.compile(
                "Cannot reserve additional contiguous bytes in the vectorized reader \\([^)]*\\)").matcher(text);
        String what;
        if (outOfMemory && reader.find()) {   // (without an OutOfMemoryError, the reader refused a batch past 2 GB)
            what = " while Spark's Parquet reader read a row, which it holds several times over (" + reader.group() + ")";
        } else if (outOfMemory) {
            what = " (" + oom.group().strip() + ")";
        } else if (java.util.regex.Pattern.compile("\\b(exit code|exited with code) 52\\b").matcher(text).find()) {
            what = " (an executor exited with code 52)";
        } else {
            return null;
        }
        return "a task ran out of memory" + what + ": give the executors more memory " + ExecutorAligners.WHERE_MEMORY_IS_SET
                + " or run fewer tasks at once "
                + "(spark.executor.cores; in local mode --master local[N]); the job's warnings at its start say what reading "
                + "this input takes where that is much";
    }

    static String describe(Throwable t) {
        // (Spark ends a job's failure with "Driver stacktrace:", heading the trace that follows it
        // in a log; a stopped context's message goes on with where it was made, and a task's
        // failure that Spark could not hand over as a cause holds its stack trace: thousands of
        // characters of frames, a cluster walk-through found, against a wrong master port. The
        // frames go; the "Caused by:" lines, often the reason, stay.)
        String message = t.getMessage() == null ? "" : t.getMessage().strip().replaceFirst("\\s*Driver stacktrace:$", "")
                .replaceFirst("(?s)\\s*\\RThis stopped SparkContext was created at:.*", "")
                .replaceAll("\\R[ \\t]*(at [\\w$.<>/-]+\\([^)\\r\\n]*\\)|\\.\\.\\. \\d+ more)[ \\t]*(?=\\R|$)", "");
        return t.getClass().getName().startsWith("org.bandalign.") ? message : t.getClass().getSimpleName() + ": " + message;
    }

    private static Throwable userError(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof UserError) {
                return t;
            }
        }
        return null;
    }
}
