package org.bandalign.job;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What one run did: the content of {@code _SUMMARY.json} (SPEC section 5) and the closing line. */
final class JobSummary {
    final long inputRows;
    final long alignedRows;
    final long rejectedRows;
    final long cells;
    final double seconds;
    final List<String> backends;
    final String master;
    final Map<String, Object> options;
    final Map<String, Integer> taskGpuCounts;
    /** Distinct reasons why --backend auto used the CPU instead of a GPU (empty when it did not). */
    final List<String> cpuFallbacks;
    /** The alignment tasks' running time, summed; the parts of it spent in alignAll and waiting for a GPU. */
    final double taskSeconds;
    final double alignSeconds;
    final double gpuWaitSeconds;
    /** --input and --output, qualified: their file system's scheme, and absolute ({@code file:/data/in}). */
    final String input;
    final String output;
    /** --output as given, for the closing line. */
    final String outputAsGiven;
    /** One rejected row's id and reason, for the closing lines (null where none was rejected). */
    final RejectedRecord rejectedExample;

    JobSummary(long inputRows, long alignedRows, long rejectedRows, long cells, double seconds, List<String> backends,
               String master, Map<String, Object> options, Map<String, Integer> taskGpuCounts, List<String> cpuFallbacks,
               double taskSeconds, double alignSeconds, double gpuWaitSeconds, String input, String output,
               String outputAsGiven, RejectedRecord rejectedExample) {
        this.inputRows = inputRows;
        this.alignedRows = alignedRows;
        this.rejectedRows = rejectedRows;
        this.cells = cells;
        this.seconds = seconds;
        this.backends = backends;
        this.master = master;
        this.options = options;
        this.taskGpuCounts = taskGpuCounts;
        this.cpuFallbacks = cpuFallbacks;
        this.taskSeconds = taskSeconds;
        this.alignSeconds = alignSeconds;
        this.gpuWaitSeconds = gpuWaitSeconds;
        this.input = input;
        this.output = output;
        this.outputAsGiven = outputAsGiven;
        this.rejectedExample = rejectedExample;
    }

    double cellsPerSecond() {
        return seconds > 0 ? cells / seconds : 0;
    }

    String toJson() throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("input_rows", inputRows);
        m.put("aligned_rows", alignedRows);
        m.put("rejected_rows", rejectedRows);
        m.put("cells", cells);
        m.put("seconds", seconds);
        m.put("cells_per_second", cellsPerSecond());
        m.put("backends", backends);
        m.put("master", master);
        m.put("options", options);
        m.put("task_gpus", taskGpuCounts);
        m.put("cpu_fallbacks", cpuFallbacks);
        m.put("task_seconds", taskSeconds);
        m.put("align_seconds", alignSeconds);
        m.put("gpu_wait_seconds", gpuWaitSeconds);
        // what of the tasks' time aligning, or waiting to, took: near 1 the engine bounds the job,
        // near 0 reading and writing do
        m.put("align_share", taskSeconds > 0 ? (alignSeconds + gpuWaitSeconds) / taskSeconds : 0.0);
        m.put("input", input);
        m.put("output", output);
        m.put("versions", versions());
        return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(m);
    }

    /**
     * What ran, for whoever reads the output later: BandAlign's version and the driver's Spark and
     * Java (a Spark cluster runs one Spark; its executors' Java is the driver's as a rule).
     */
    static Map<String, String> versions() {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("bandalign", BandAlign.VERSION.substring(BandAlign.VERSION.indexOf(' ') + 1));
        v.put("spark", SparkRuntime.version());
        v.put("java", System.getProperty("java.version"));
        return v;
    }

    /**
     * The one-line summary printed at the end of a run; then, where rows were rejected, one of
     * them and why (so that a run whose every row was rejected for one mistake says which), and
     * why auto chose the CPU, when it did.
     */
    String line() {
        double mcells = cellsPerSecond() / 1e6;
        String line = String.format(java.util.Locale.ROOT,
                "bandalign: %d rows in, %d aligned, %d rejected; %s cells in %.1f s (%s M cells/s) on %s -> %s",
                inputRows, alignedRows, rejectedRows,
                cells < 100_000 ? Long.toString(cells) : String.format(java.util.Locale.ROOT, "%.3g", (double) cells), seconds,
                String.format(java.util.Locale.ROOT, mcells >= 10 || mcells == 0 ? "%.1f" : "%.2g", mcells),
                String.join(",", backends), outputAsGiven);
        if (rejectedRows > 0 && rejectedExample != null) {
            line += System.lineSeparator() + "bandalign: rejected" + (rejectedRows > 1 ? ", for one: " : ": ")
                    + BandAlign.oneLine((rejectedExample.getId() == null ? "a row without an id" : "pair '" + rejectedExample.getId()
                    + "'") + ": " + rejectedExample.getError())
                    + (rejectedRows > 1 ? " (each row's reason: " + outputAsGiven + "/rejected)" : "");
        }
        for (String why : cpuFallbacks) {
            line += System.lineSeparator() + "bandalign: note: --backend auto used the CPU: " + why;
        }
        return line;
    }
}
