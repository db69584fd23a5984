package org.bandalign.job;

import java.util.Map;
import java.util.function.ToIntFunction;
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
     * says; else the address itself, an index.
     *
     * @throws IllegalArgumentException when the address is neither listed, nor a UUID, nor an index
     */
    static int cudaOrdinal(String address, String visibleDevices, ToIntFunction<String> byUuid) {
        if (visibleDevices != null && !visibleDevices.isBlank()) {
            String[] visible = visibleDevices.split(",");
            for (int k = 0; k < visible.length; k++) {
                if (visible[k].trim().equalsIgnoreCase(address.trim())) {
                    return k;
                }
            }
        }
        if (CudaDevices.isUuid(address)) {
            return byUuid.applyAsInt(address.trim());
        }
        try {
            return Integer.parseInt(address.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("GPU address '" + address + "' is neither a device index nor a UUID (GPU-...), "
                    + "and CUDA_VISIBLE_DEVICES=" + visibleDevices + " does not list it", e);
        }
    }

    /** {@link #cudaOrdinal(String, String, ToIntFunction)} with the driver finding UUIDs. */
    static int cudaOrdinal(String address, String visibleDevices) {
        return cudaOrdinal(address, visibleDevices, CudaDevices::ordinalOf);
    }
}
