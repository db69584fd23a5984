package org.bandalign.job;

import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;
import org.apache.spark.SparkConf;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import org.bandalign.cuda.CudaDevices;

/**
 * The GPU a Spark task holds, read the way Spark RAPIDS reads it: the task's {@code gpu}
 * resource addresses from {@link TaskContext}, mapped through {@code CUDA_VISIBLE_DEVICES}
 * when that is set (Spark hands out physical indices; CUDA numbers the visible devices from 0),
 * or found by UUID through the driver when the discovery script hands out UUIDs.
 * The indices are nvidia-smi's, in PCI bus order; CUDA counts in that order only with
 * {@code CUDA_DEVICE_ORDER=PCI_BUS_ID}, which conf/spark-defaults.conf sets for executors.
 * A null task context (unit tests, driver) or a task without GPU resources holds none.
 */
final class TaskGpu {
    private TaskGpu() {
    }

    /** The addresses of the task's {@code gpu} resource, or an empty array. */
    static String[] addresses(TaskContext task) {
        if (task == null) {
            return new String[0];
        }
        Map<String, ResourceInformation> resources = task.resourcesJMap();
        ResourceInformation gpu = resources == null ? null : resources.get("gpu");
        return gpu == null ? new String[0] : gpu.addresses();
    }

    /**
     * The CUDA device ordinal for a Spark GPU address: its position in {@code visibleDevices}
     * (the value of {@code CUDA_VISIBLE_DEVICES}) when that lists it; for a UUID
     * ({@code GPU-...}, from {@code getGpusResources.sh --uuid}) what {@code byUuid} (the driver)
     * says; else the address itself, an index. Where a {@code CUDA_VISIBLE_DEVICES} of indices is
     * set, an index it does not list is a device this process cannot see: CUDA's ordinal of that
     * number is another GPU (one Spark gave another task, or none). (One of UUIDs is a container's
     * own, whose nvidia-smi numbers its GPUs from 0 as CUDA does.)
     *
     * @throws IllegalArgumentException when the address is neither listed, nor a UUID, nor an
     *         index, or is an index that a set {@code CUDA_VISIBLE_DEVICES} of indices does not list
     */
    static int cudaOrdinal(String address, String visibleDevices, ToIntFunction<String> byUuid) {
        String wanted = address.trim();
        boolean restricted = visibleDevices != null && !visibleDevices.isBlank();
        if (restricted) {
            String[] visible = visibleDevices.split(",");
            for (int k = 0; k < visible.length; k++) {
                if (visible[k].trim().equalsIgnoreCase(wanted) || sameIndex(visible[k].trim(), wanted)) {
                    return k;
                }
            }
        }
        if (CudaDevices.isUuid(wanted)) {
            return byUuid.applyAsInt(wanted);
        }
        int index;
        try {
            index = Integer.parseInt(wanted);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("GPU address '" + address + "' is neither a device index nor a UUID (GPU-...), "
                    + "and CUDA_VISIBLE_DEVICES=" + visibleDevices + " does not list it", e);
        }
        if (restricted && java.util.Arrays.stream(visibleDevices.split(",")).allMatch(v -> v.strip().matches("[0-9]+"))) {
            throw new IllegalArgumentException("GPU address '" + address + "' (a device index) is not among CUDA_VISIBLE_DEVICES="
                    + visibleDevices + ", so this executor cannot see that GPU (CUDA's ordinal " + index
                    + " would be another one): leave CUDA_VISIBLE_DEVICES unset for executors, as Spark assigns their GPUs");
        }
        return index;   // (a list of UUIDs: a container's own numbering, as its nvidia-smi gives it)
    }

    /** Whether two entries are the same device index written differently ({@code 01} and {@code 1}). */
    private static boolean sameIndex(String a, String b) {
        try {
            return Integer.parseInt(a) == Integer.parseInt(b);
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** Spark's key for the GPUs each executor is given. */
    static final String EXECUTOR_GPU_AMOUNT = "spark.executor.resource.gpu.amount";
    /** Spark's key for the GPUs each task holds. */
    static final String TASK_GPU_AMOUNT = "spark.task.resource.gpu.amount";

    /**
     * Checks the GPUs a run asks for each alignment task before it starts (Spark would say it
     * only in its own words, or not at all), and returns what to tell the user.
     *
     * @throws UserError where no task could run: a stage-level amount
     *         ({@code spark.bandalign.stage.gpuAmount}) in local mode, with dynamic allocation, or
     *         where the executors are given no GPUs or fewer than that
     */
    static List<String> checkAmounts(SparkConf conf) {
        double stage = JobKeys.STAGE_GPU_AMOUNT.get(conf);
        String stageKey = JobKeys.STAGE_GPU_AMOUNT.name();
        if (stage > 0 && MasterUrl.inProcess(conf.get("spark.master", "local"))) {
            throw new UserError(stageKey + "=" + conf.get(stageKey) + " needs a cluster master (standalone, YARN or Kubernetes): "
                    + "Spark's local mode runs no stage-level resource profiles, and its tasks hold no GPU; leave it unset there");
        }
        if (stage > 0 && conf.getBoolean("spark.dynamicAllocation.enabled", false)) {
            throw new UserError(stageKey + "=" + conf.get(stageKey) + " needs spark.dynamicAllocation.enabled=false: Spark runs "
                    + "task-only resource profiles without dynamic allocation alone (with it, use " + TASK_GPU_AMOUNT + ")");
        }
        double executor = amount(conf, EXECUTOR_GPU_AMOUNT);
        if (stage > 0 && executor <= 0) {   // (a task-only profile runs on the default executors: none could take a task)
            throw new UserError(stageKey + "=" + conf.get(stageKey) + " asks GPUs for each task, but the executors are given none ("
                    + EXECUTOR_GPU_AMOUNT + " is not set): no task could run");
        }
        if (stage > 0 && stage > executor) {
            throw new UserError(stageKey + "=" + conf.get(stageKey) + " asks more GPUs for each task than each executor has ("
                    + EXECUTOR_GPU_AMOUNT + "=" + conf.get(EXECUTOR_GPU_AMOUNT) + "): no task could run");
        }
        double task = stage > 0 ? stage : amount(conf, TASK_GPU_AMOUNT);
        if (task > 1) {
            String key = stage > 0 ? stageKey : TASK_GPU_AMOUNT;
            return List.of(key + "=" + conf.get(key) + ": each task holds that many GPUs but aligns on the first alone, so the "
                    + "others stay idle; give a task 1 GPU, or a share of one (0.25: four tasks on each)");
        }
        return List.of();
    }

    /** A GPU amount setting as a number, 0 where unset or not a number (Spark refuses that itself). */
    static double amount(SparkConf conf, String key) {
        try {
            return Double.parseDouble(conf.get(key, "0").strip());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** {@link #cudaOrdinal(String, String, ToIntFunction)} with the driver finding UUIDs. */
    static int cudaOrdinal(String address, String visibleDevices) {
        return cudaOrdinal(address, visibleDevices, CudaDevices::ordinalOf);
    }
}
