package org.bandalign.job;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.bandalign.cuda.CudaAligner;
import org.bandalign.cuda.CudaDevices;
import org.bandalign.cuda.CudaUnavailableException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code devices}: what the CUDA backend sees on this machine, to check a GPU node before a run:
 * the driver's version, each visible device with its ordinal, UUID and PCI bus id (so Spark's GPU
 * addresses can be matched to devices), and with {@code --kernels} whether the shipped kernels
 * load on each and what resources the driver gave them. Exit status 1, with the reason, where no
 * driver loads or it shows no device, and with {@code --kernels} also where no device can load
 * the kernels (the job's auto backend then uses the CPU). With {@code --master} (or under
 * spark-submit with a cluster master) it surveys the executors instead ({@link ExecutorSurvey}).
 */
@Command(name = "devices", mixinStandardHelpOptions = true,
        description = "List the CUDA devices this machine's driver shows (ordinal, UUID, PCI bus id); exit 1 with the reason if none. "
                + "With --master, survey a cluster's executors instead.")
final class DevicesCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--kernels", description = "Also load the alignment kernels on each device and print their registers, spills and code architecture.")
    boolean kernels;

    @Option(names = "--master", paramLabel = "URL", description = "Survey the executors of this Spark master (also spark-submit's, "
            + "when it is not local) instead of this machine: the engine each executor's GPU tasks get (GPU address, device, "
            + "kernels), or the CPU and why; exit 1 if any would align on the CPU.")
    String master;

    @Option(names = "--tasks", defaultValue = "64", paramLabel = "N", description = "Tasks of the survey (default: ${DEFAULT-VALUE}): "
            + "more than the cluster's GPU slots, so that every executor takes some.")
    int tasks;

    @Option(names = "--executors", defaultValue = "0", paramLabel = "N", description = "Executors to wait for before the survey; "
            + "exit 1 if fewer register (default: spark.executor.instances if set, a shortfall only noted, else until their "
            + "number holds for 5 s).")
    int executors;

    @Option(names = "--wait", defaultValue = "120", paramLabel = "SECONDS", description = "Longest wait for executors "
            + "(default: ${DEFAULT-VALUE}); exit 1 if none registered (without dynamic allocation).")
    int waitSeconds;

    @Option(names = "--backend", defaultValue = "auto", paramLabel = "auto|cuda", description = "Engine the survey's tasks ask for, as "
            + "the align command's (default: ${DEFAULT-VALUE}).")
    String backend;

    @Option(names = "--conf", paramLabel = "KEY=VALUE", description = "Any Spark or spark.bandalign.* setting, for the survey.")
    Map<String, String> conf = new LinkedHashMap<>();

    @Override
    public Integer call() {
        // (the survey's flags are checked on every call: a mistake in them shows before they are needed)
        if (tasks < 1) {
            throw UserError.badFlag("--tasks must be >= 1, got " + tasks);
        }
        if (executors < 0) {
            throw UserError.badFlag("--executors must be >= 0, got " + executors);
        }
        if (waitSeconds < 0) {
            throw UserError.badFlag("--wait must be >= 0 seconds, got " + waitSeconds);
        }
        Backend engine = switch (backend.toLowerCase(java.util.Locale.ROOT)) {
            case "auto" -> Backend.AUTO;
            case "cuda" -> Backend.CUDA;
            default -> throw UserError.badFlag("--backend must be auto or cuda for the survey, got '" + backend + "'");
        };
        SparkConf sparkConf = new SparkConf();
        conf.forEach(sparkConf::set);
        if (master != null) {
            sparkConf.setMaster(master);
        }
        String configured = sparkConf.get("spark.master", "local");
        if (master != null || !MasterUrl.inProcess(configured)) {
            return surveyExecutors(sparkConf, engine);
        }
        return listThisMachine();
    }

    private int surveyExecutors(SparkConf sparkConf, Backend engine) {
        sparkConf.setIfMissing("spark.app.name", "bandalign devices");
        for (String note : TaskGpu.checkAmounts(sparkConf)) {
            spec.commandLine().getErr().println("bandalign: note: " + note);
        }
        SparkSession spark = CommandSession.start(sparkConf, "devices --master");
        PrintWriter err = spec.commandLine().getErr();
        try {
            int expected = executors > 0 ? executors : sparkConf.getInt("spark.executor.instances", 0);
            java.time.Duration wait = java.time.Duration.ofSeconds(waitSeconds);
            java.util.Set<String> registered = ExecutorSurvey.awaitExecutors(spark, expected, java.time.Duration.ofSeconds(5), wait);
            boolean local = spark.sparkContext().isLocal();
            // (a survey job would wait for them forever; with dynamic allocation they start with the job)
            boolean dynamic = sparkConf.getBoolean("spark.dynamicAllocation.enabled", false);
            if (!local && registered.isEmpty() && waitSeconds > 0 && !dynamic) {
                err.println("bandalign: no executor registered with " + spark.sparkContext().master() + " within " + waitSeconds
                        + " s (--wait): " + unmet(sparkConf));
                err.flush();
                return 1;
            }
            java.time.Duration taskLimit = wait.compareTo(SURVEY_TASKS_LIMIT) > 0 ? wait : SURVEY_TASKS_LIMIT;
            List<ExecutorSurvey.Seen> seen = ExecutorSurvey.run(spark, JobOptions.forEngine(engine, sparkConf), tasks,
                    JobKeys.STAGE_GPU_AMOUNT.get(sparkConf), taskLimit);
            if (seen == null) {
                err.println("bandalign: the survey's tasks did not all run within " + taskLimit.toSeconds() + " s on the "
                        + registered.size() + " registered executor" + (registered.size() == 1 ? "" : "s") + ": "
                        + unmet(sparkConf));
                err.flush();
                return 1;
            }
            if (dynamic) {   // (executors the survey's job brought up: those that took none of its tasks are named)
                registered = new java.util.TreeSet<>(registered);
                ExecutorSurvey.executorIds(spark).stream().filter(id -> !id.endsWith(ExecutorSurvey.WITHOUT_BLOCK_MANAGER))
                        .forEach(registered::add);
            }
            int status = report(seen, registered, spark.sparkContext().master(), spec.commandLine().getOut(), err);
            if (!local && expected > 0 && registered.size() < expected) {   // (a standalone master may start fewer than the setting)
                err.println("bandalign: " + (executors > 0 ? "" : "note: ") + registered.size() + " of the " + expected
                        + " executors expected (" + (executors > 0 ? "--executors" : "spark.executor.instances") + ") registered within "
                        + waitSeconds + " s (--wait): " + unmet(sparkConf));
                err.flush();
                status = executors > 0 ? 1 : status;
            }
            return status;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for executors", e);
        } catch (Exception | Error e) {   // (Spark's checked exceptions too, which javac does not see)
            CommandSession.stop(spark, true);
            throw e;
        } finally {
            spark.stop();
        }
    }

    /** The least time the survey's tasks get to run (they may fetch the jar and initialise a GPU first). */
    static final java.time.Duration SURVEY_TASKS_LIMIT = java.time.Duration.ofSeconds(120);

    /** What to check where executors do not register or tasks are not scheduled: what the run asks of each. */
    static String unmet(SparkConf conf) {
        StringBuilder asked = new StringBuilder();
        for (String key : new String[] {"spark.executor.memory", "spark.executor.cores", TaskGpu.EXECUTOR_GPU_AMOUNT,
            TaskGpu.TASK_GPU_AMOUNT, JobKeys.STAGE_GPU_AMOUNT.name()}) {
            if (conf.contains(key)) {
                asked.append(asked.length() == 0 ? "" : ", ").append(key).append('=').append(conf.get(key));
            }
        }
        boolean standalone = conf.get("spark.master", "").startsWith("spark://");
        return "the workers may not offer what each executor or task asks for" + (asked.length() == 0 ? "" : " (" + asked + ")")
                + (standalone ? "; the master's web UI shows what each worker has" : "");
    }

    /**
     * Prints the survey; 0 if every sight got a GPU and every registered executor (as host:port;
     * empty in local mode) took a task, else 1, saying what is wrong.
     */
    static int report(List<ExecutorSurvey.Seen> seen, java.util.Set<String> registered, String master, PrintWriter out,
                      PrintWriter err) {
        out.println("executors of " + master + ", as their alignment tasks see them:");
        seen.forEach(s -> out.println(s.line()));
        out.flush();
        int status = 0;
        long cpu = seen.stream().filter(s -> !s.engine().startsWith("cuda:")).count();
        if (cpu > 0) {
            err.println("bandalign: " + cpu + " of " + seen.size() + " executor and GPU address pairs would not align on a GPU");
            status = 1;
        }
        for (String shared : sharedDevices(seen)) {
            err.println("bandalign: " + shared);
            status = 1;
        }
        java.util.Set<String> missing = new java.util.TreeSet<>(registered);
        seen.forEach(s -> missing.remove(s.address()));
        if (!missing.isEmpty()) {
            err.println("bandalign: " + missing.size() + " of " + registered.size() + " registered executors took no survey task ("
                    + String.join(", ", missing) + "); run more with --tasks");
            status = 1;
        }
        err.flush();
        return status;
    }

    private static final java.util.regex.Pattern UUID = java.util.regex.Pattern.compile("GPU-[0-9a-fA-F-]+");

    /**
     * Devices of one host that more than one executor's GPU address reaches: Spark believes them
     * different GPUs, so their tasks crowd onto one while another sits idle (CUDA_VISIBLE_DEVICES
     * or CUDA_DEVICE_ORDER at odds with the discovery script's addresses, or two workers of a
     * host handing out the same GPUs). One line each.
     */
    static List<String> sharedDevices(List<ExecutorSurvey.Seen> seen) {
        Map<String, java.util.Set<String>> reachedBy = new java.util.TreeMap<>();
        for (ExecutorSurvey.Seen s : seen) {
            java.util.regex.Matcher uuid = UUID.matcher(s.device());
            if (uuid.find() && !s.device().contains("MIG")) {   // (a MIG instance reports its parent GPU's UUID)
                reachedBy.computeIfAbsent(uuid.group() + " on " + s.host(), k -> new java.util.TreeSet<>())
                        .add("executor " + s.executor() + "'s GPU " + s.gpu());
            }
        }
        List<String> lines = new java.util.ArrayList<>();
        reachedBy.forEach((device, by) -> {
            if (by.size() > 1) {
                lines.add("device " + device + " is reached by " + String.join(" and ", by) + ": Spark takes them for different GPUs "
                        + "(check CUDA_VISIBLE_DEVICES and CUDA_DEVICE_ORDER=PCI_BUS_ID on the executors, and the discovery script)");
            }
        });
        return lines;
    }

    private int listThisMachine() {
        PrintWriter out = spec.commandLine().getOut();
        String visible = System.getenv("CUDA_VISIBLE_DEVICES");
        String order = System.getenv("CUDA_DEVICE_ORDER");
        List<CudaDevices.Device> devices;
        try {
            devices = CudaDevices.list();
            out.printf("CUDA driver %s, %d device%s visible (CUDA_VISIBLE_DEVICES=%s, CUDA_DEVICE_ORDER=%s)%n",
                    CudaDevices.driverVersion(), devices.size(), devices.size() == 1 ? "" : "s",
                    visible == null ? "unset" : visible, order == null ? "unset: FASTEST_FIRST" : order);
        } catch (CudaUnavailableException e) {
            out.flush();
            spec.commandLine().getErr().println("bandalign: " + e.getMessage() + "; --backend auto will use the CPU");
            return 1;
        }
        int failed = 0;
        for (CudaDevices.Device d : devices) {
            out.println(d);
            if (kernels) {
                try (CudaAligner aligner = CudaAligner.open(d.ordinal(), 0)) {
                    out.println("    kernels " + aligner.kernelImage() + ":");
                    aligner.kernelResources().lines().forEach(line -> out.println("    " + line));
                } catch (RuntimeException e) {   // unusable, or a driver error: the other devices still get listed
                    failed++;
                    out.println("    cannot be used: " + e.getMessage());
                }
            }
        }
        out.flush();
        return failed == devices.size() && kernels ? 1 : 0;
    }
}
