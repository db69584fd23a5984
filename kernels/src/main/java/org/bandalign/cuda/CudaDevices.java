package org.bandalign.cuda;

import static org.bandalign.cuda.CudaException.check;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUuuid;
import jcuda.driver.JCudaDriver;

/**
 * What the NVIDIA driver shows this process: its version and each visible device, with the
 * ordinal {@link CudaAligner#open} takes, the UUID nvidia-smi prints ({@code GPU-...}) and the
 * PCI bus id. For diagnostics ({@code bandalign devices}) and for clusters that name GPUs by UUID
 * rather than by index: {@link #ordinalOf} turns such a name into this process's ordinal,
 * whatever {@code CUDA_VISIBLE_DEVICES} and {@code CUDA_DEVICE_ORDER} hide or reorder. Reading
 * these needs no context, so listing a device neither allocates on it nor waits for it.
 *
 * <pre>{@code
 * for (CudaDevices.Device d : CudaDevices.list()) {
 *     System.out.println(d);   // 0: NVIDIA H200, sm_90, 132 SMs, 139.8 GiB, GPU-..., PCI 0000:1B:00.0
 * }
 * try (Aligner gpu = Aligner.cuda(CudaDevices.ordinalOf("GPU-8ef0c2a4"))) { ... }   // a unique prefix will do
 * }</pre>
 */
public final class CudaDevices {
    private CudaDevices() {
    }

    /**
     * One visible device as the driver describes it.
     *
     * @param ordinal         the ordinal {@link CudaAligner#open} takes
     * @param name            the device's name, e.g. {@code NVIDIA H200}
     * @param uuid            the UUID as nvidia-smi prints it, {@code GPU-} and 32 lower-case hex digits
     * @param pciBusId        the PCI bus id, e.g. {@code 0000:1B:00.0}
     * @param computeMajor    the compute capability's major number (9 for sm_90)
     * @param computeMinor    the compute capability's minor number
     * @param multiprocessors the number of streaming multiprocessors
     * @param totalMemory     the device memory in bytes
     */
    public record Device(int ordinal, String name, String uuid, String pciBusId, int computeMajor, int computeMinor,
            int multiprocessors, long totalMemory) {
        /** One line: ordinal, name, compute capability, SMs, memory, UUID and PCI bus id. */
        @Override
        public String toString() {
            String memory = totalMemory >= 1L << 30 ? String.format(Locale.ROOT, "%.1f GiB", totalMemory / (double) (1L << 30))
                    : (totalMemory >> 20) + " MiB";
            return String.format(Locale.ROOT, "%d: %s, sm_%d%d, %d SMs, %s, %s, PCI %s", ordinal, name,
                    computeMajor, computeMinor, multiprocessors, memory, uuid, pciBusId);
        }
    }

    /**
     * {@return the driver's CUDA version, e.g. {@code "13.0"}}
     *
     * @throws CudaUnavailableException when the driver does not load or initialise, or there is no device
     */
    public static String driverVersion() {
        CudaDevice.deviceCount();
        int[] version = new int[1];
        int result = JCudaDriver.cuDriverGetVersion(version);
        if (result != jcuda.driver.CUresult.CUDA_SUCCESS) {
            throw new CudaUnavailableException("the NVIDIA driver does not say its version: cuDriverGetVersion returned "
                    + jcuda.driver.CUresult.stringFor(result));
        }
        return KernelModule.cudaVersion(version[0]);
    }

    /**
     * {@return every device visible to this process, by ordinal}
     *
     * @throws CudaUnavailableException when the driver does not load or initialise, there is no
     *                                  device, or the driver fails to describe one
     */
    public static List<Device> list() {
        int count = CudaDevice.deviceCount();
        List<Device> devices = new ArrayList<>(count);
        for (int ordinal = 0; ordinal < count; ordinal++) {
            try {
                devices.add(describe(ordinal));
            } catch (CudaException e) {
                throw new CudaUnavailableException("the NVIDIA driver cannot describe CUDA device " + ordinal + ": "
                        + e.getMessage(), e);
            }
        }
        return devices;
    }

    private static Device describe(int ordinal) {
        CUdevice device = new CUdevice();
        check(JCudaDriver.cuDeviceGet(device, ordinal), "cuDeviceGet(" + ordinal + ")");
        CUuuid uuid = new CUuuid();
        check(JCudaDriver.cuDeviceGetUuid(uuid, device), "cuDeviceGetUuid(" + ordinal + ")");
        String[] bus = new String[1];
        check(JCudaDriver.cuDeviceGetPCIBusId(bus, 64, device), "cuDeviceGetPCIBusId(" + ordinal + ")");
        long[] memory = new long[1];
        check(JCudaDriver.cuDeviceTotalMem(memory, device), "cuDeviceTotalMem(" + ordinal + ")");
        return new Device(ordinal, CudaDevice.deviceName(device), uuidString(uuid.bytes), bus[0].trim(),
                attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, "compute capability"),
                attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, "compute capability"),
                attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, "multiprocessor count"),
                memory[0]);
    }

    private static int attribute(CUdevice device, int attribute, String what) {
        int[] value = new int[1];
        check(JCudaDriver.cuDeviceGetAttribute(value, attribute, device), "cuDeviceGetAttribute(" + what + ")");
        return value[0];
    }

    /**
     * A device UUID as nvidia-smi and {@code CUDA_VISIBLE_DEVICES} write it: {@code GPU-} and the
     * 16 bytes in lower-case hex, grouped 8-4-4-4-12.
     */
    static String uuidString(byte[] bytes) {
        if (bytes == null || bytes.length != 16) {
            throw new IllegalArgumentException("a device UUID has 16 bytes, not " + (bytes == null ? "none" : bytes.length));
        }
        StringBuilder s = new StringBuilder("GPU-");
        for (int i = 0; i < 16; i++) {
            if (i == 4 || i == 6 || i == 8 || i == 10) {
                s.append('-');
            }
            s.append(String.format(Locale.ROOT, "%02x", bytes[i] & 0xff));
        }
        return s.toString();
    }

    /**
     * {@return whether {@code address} names a device by UUID ({@code GPU-...}) rather than by index}
     *
     * @param address a device's address: an index such as {@code 0}, or a UUID; may be null
     */
    public static boolean isUuid(String address) {
        return address != null && address.strip().regionMatches(true, 0, "GPU-", 0, 4);
    }

    /**
     * The ordinal of the visible device whose UUID is {@code uuid}, or begins with it (as
     * {@code CUDA_VISIBLE_DEVICES} accepts a unique prefix); case does not matter.
     *
     * @param uuid a device UUID, {@code GPU-...}, or a prefix of one longer than {@code GPU-}
     * @return that device's ordinal in this process
     * @throws IllegalArgumentException when {@code uuid} does not look like a GPU UUID
     * @throws CudaUnavailableException when the driver does not load, no visible device has that UUID,
     *                                  or several begin with it
     */
    public static int ordinalOf(String uuid) {
        String wanted = uuid.strip().toLowerCase(Locale.ROOT);
        if (!isUuid(wanted) || wanted.length() <= 4) {
            throw new IllegalArgumentException("'" + uuid + "' is not a GPU UUID (GPU-xxxxxxxx-...)");
        }
        List<Device> devices = list();
        List<Device> matches = devices.stream().filter(d -> d.uuid().toLowerCase(Locale.ROOT).startsWith(wanted)).toList();
        if (matches.size() == 1) {
            return matches.get(0).ordinal();
        }
        String visible = devices.stream().map(d -> d.ordinal() + "=" + d.uuid()).reduce((a, b) -> a + ", " + b).orElse("");
        throw new CudaUnavailableException((matches.isEmpty() ? "no visible CUDA device has UUID " : "several visible CUDA devices match UUID ")
                + uuid.strip() + " (visible: " + visible + "; CUDA_VISIBLE_DEVICES=" + System.getenv("CUDA_VISIBLE_DEVICES") + ")");
    }
}
