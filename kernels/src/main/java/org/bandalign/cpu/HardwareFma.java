package org.bandalign.cpu;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;

/**
 * Whether {@link Math#fma} is one machine instruction in this JVM (HotSpot's {@code UseFMA}: x86
 * with FMA3, ARMv8, ...). Where it is not, {@code Math.fma} is computed exactly in software,
 * hundreds of times slower, so {@link FastExp} and {@link FastLog} take their plain
 * multiply-and-add forms instead. A constant, so the JIT compiler keeps only one form.
 */
final class HardwareFma {
    static final boolean AVAILABLE = probe();

    private HardwareFma() {
    }

    private static boolean probe() {
        try {
            HotSpotDiagnosticMXBean hotSpot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            return hotSpot != null && Boolean.parseBoolean(hotSpot.getVMOption("UseFMA").getValue());
        } catch (RuntimeException | LinkageError notHotSpot) {   // another JVM, or a runtime without jdk.management
            return false;
        }
    }
}
