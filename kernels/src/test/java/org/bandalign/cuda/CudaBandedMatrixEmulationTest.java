package org.bandalign.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.bandalign.banded.BandedMatrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code banded_matrix.cu}'s product kernel in the CPU emulator against the CPU
 * {@link BandedMatrix}, in all three semirings, with -inf entries; skipped where g++ is missing.
 */
class CudaBandedMatrixEmulationTest {
    private static final int STANDARD = 0;
    private static final int LOG = 1;
    private static final int MAX = 2;

    @TempDir
    Path tmp;

    @Test
    void bandedMultiply_randomBatches_equalsTheCpuLibrary() throws Exception {
        Path exe = KernelEmulator.build("banded_matrix_emulator");
        Random rnd = new Random(8);
        int covered = 0;
        for (int trial = 0; trial < 12; trial++) {
            int batch = 1 + rnd.nextInt(3);
            int n = 1 + rnd.nextInt(30);
            BandedMatrix x = BandedProducts.random(rnd, batch, n, rnd.nextInt(5), rnd.nextInt(5), 0.1);
            BandedMatrix y = BandedProducts.random(rnd, batch, n, rnd.nextInt(5), rnd.nextInt(5), 0.1);
            BandedProducts.assertClose(x.multiply(y), emulate(exe, x, y, STANDARD), "multiply " + trial);
            BandedProducts.assertClose(x.multiplyLog(y), emulate(exe, x, y, LOG), "multiplyLog " + trial);
            BandedProducts.assertClose(x.multiplyMax(y), emulate(exe, x, y, MAX), "multiplyMax " + trial);
            covered += 3;
        }
        assertEquals(36, covered);
    }

    private BandedMatrix emulate(Path exe, BandedMatrix x, BandedMatrix y, int semiring) throws Exception {
        float[] xd = x.data();
        float[] yd = y.data();
        ByteBuffer in = ByteBuffer.allocate(28 + 4 * (xd.length + yd.length)).order(ByteOrder.LITTLE_ENDIAN);
        in.putInt(x.batch()).putInt(x.n()).putInt(x.lu()).putInt(x.ld()).putInt(y.lu()).putInt(y.ld()).putInt(semiring);
        for (float f : xd) {
            in.putFloat(f);
        }
        for (float f : yd) {
            in.putFloat(f);
        }
        Path inFile = tmp.resolve("bm.in");
        Path outFile = tmp.resolve("bm.out");
        Files.write(inFile, in.array());
        KernelEmulator.run(exe, inFile.toString(), outFile.toString());
        int lu = x.lu() + y.ld();
        int ld = x.ld() + y.lu();
        float[] z = new float[x.batch() * x.n() * (lu + ld + 1)];
        ByteBuffer.wrap(Files.readAllBytes(outFile)).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(z);
        return BandedMatrix.fromData(z, x.batch(), x.n(), lu, ld, semiring == STANDARD ? 0f : Float.NEGATIVE_INFINITY);
    }
}
