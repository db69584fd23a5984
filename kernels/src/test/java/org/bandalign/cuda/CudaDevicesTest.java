package org.bandalign.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import jcuda.driver.CUcontext;
import jcuda.driver.JCudaDriver;
import org.bandalign.align.AlignOptions;
import org.bandalign.align.Pair;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the driver says about the devices, and how BandAlign's calls leave the caller's thread,
 * on whatever driver this JVM has: a real GPU (the GPU run) or the CPU stand-in (the
 * emulated-gpu run); skipped without either.
 */
class CudaDevicesTest {
    @BeforeEach
    void gpu() {
        CudaTestSupport.assumeGpu();
    }

    @Test
    void everyDevice_isFoundByItsUuid_andDescribedInFull() {
        List<CudaDevices.Device> devices = CudaDevices.list();
        assertEquals(CudaAligner.deviceCount(), devices.size());
        for (CudaDevices.Device d : devices) {
            assertTrue(d.uuid().matches("GPU-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), d.toString());
            assertTrue(d.pciBusId().matches("[0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\\.[0-9A-Fa-f]"), d.toString());
            assertTrue(d.computeMajor() >= 7 && d.multiprocessors() > 0 && d.totalMemory() > 0 && !d.name().isBlank(), d.toString());
            assertEquals(d.ordinal(), CudaDevices.ordinalOf(d.uuid()), d.toString());
            assertEquals(d.ordinal(), CudaDevices.ordinalOf(d.uuid().toUpperCase(Locale.ROOT).replace("GPU-", "gpu-")), d.toString());
        }
        assertEquals(devices.size(), devices.stream().map(CudaDevices.Device::uuid).distinct().count(), "distinct UUIDs");
    }

    /** Where nvidia-smi runs and hides nothing, its UUIDs are the driver's (Spark's discovery script reads them there). */
    @Test
    void uuids_areTheOnesNvidiaSmiPrints() throws IOException, InterruptedException {
        Assumptions.assumeTrue(System.getenv("CUDA_VISIBLE_DEVICES") == null, "CUDA_VISIBLE_DEVICES hides some devices from CUDA only");
        Process p;
        try {
            p = new ProcessBuilder("nvidia-smi", "--query-gpu=uuid", "--format=csv,noheader").redirectErrorStream(true).start();
        } catch (IOException noSmi) {
            Assumptions.abort("no nvidia-smi here");
            return;
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "nvidia-smi: " + out);
        Set<String> smi = out.lines().map(String::strip).filter(l -> !l.isEmpty())
                .map(l -> l.toLowerCase(Locale.ROOT)).collect(Collectors.toCollection(TreeSet::new));
        Set<String> driver = CudaDevices.list().stream().map(d -> d.uuid().toLowerCase(Locale.ROOT))
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(smi, driver);
    }

    /** A thread with no context current has none after any call (the aligner's context is not left behind). */
    @Test
    void calls_leaveAThreadWithoutContextWithout() throws Exception {
        ExecutorService thread = Executors.newSingleThreadExecutor();
        try {
            thread.submit(() -> {
                JCudaDriver.cuCtxSetCurrent(new CUcontext());
                CUcontext none = new CUcontext();
                assertEquals(none, CudaDevice.current());
                float[] scores = new float[5 * 7 * 3];
                try (CudaAligner cuda = CudaAligner.open(0, 0)) {
                    assertEquals(none, CudaDevice.current(), "after open");
                    cuda.align(Pair.dense("p", 5, 7, scores), AlignOptions.defaults());
                    assertEquals(none, CudaDevice.current(), "after align");
                    cuda.kernelResources();
                    assertEquals(none, CudaDevice.current(), "after kernelResources");
                }
                assertEquals(none, CudaDevice.current(), "after close");
                return null;
            }).get();
        } finally {
            thread.shutdown();
        }
    }

    /** The build of the kernels loaded is the one asked for ({@value KernelModule#KERNELS_PROPERTY}), else the driver's. */
    @Test
    void kernelImage_isTheBuildAskedFor_orTheDriversOwn() {
        String asked = System.getProperty(KernelModule.KERNELS_PROPERTY, "auto");
        boolean cuda13Driver = Integer.parseInt(CudaDevices.driverVersion().split("\\.")[0]) >= 13;
        String expected = asked.equals("cuda12") || asked.equals("auto") && !cuda13Driver
                ? "banded_align.cuda12.fatbin" : "banded_align.fatbin";
        try (CudaAligner cuda = CudaAligner.open(0, 0)) {
            assertEquals(expected, cuda.kernelImage(), "bandalign.cuda.kernels=" + asked + ", driver " + CudaDevices.driverVersion());
            System.out.println("CudaDevicesTest: " + CudaDevices.driverVersion() + " driver, " + cuda.kernelImage() + " loaded");
        }
    }
}
