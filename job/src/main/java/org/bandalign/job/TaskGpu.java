package org.bandalign.job;

import java.util.Map;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;

/**
 * The GPU a Spark task holds, read the way Spark RAPIDS reads it: the task's {@code gpu}
 * resource addresses from {@link TaskContext}, mapped through {@code CUDA_VISIBLE_DEVICES}
 * when that is set (Spark hands out physical indices; CUDA numbers the visible devices from 0).
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
     * (the value of {@code CUDA_VISIBLE_DEVICES}) when that lists it, else the address itself.
     */
    static int cudaOrdinal(String address, String visibleDevices) {
        if (visibleDevices != null && !visibleDevices.isBlank()) {
            String[] visible = visibleDevices.split(",");
            for (int k = 0; k < visible.length; k++) {
                if (visible[k].trim().equals(address.trim())) {
                    return k;
                }
            }
        }
        try {
            return Integer.parseInt(address.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("GPU address '" + address + "' is not a device index and is not listed in "
                    + "CUDA_VISIBLE_DEVICES=" + visibleDevices, e);
        }
    }
}
