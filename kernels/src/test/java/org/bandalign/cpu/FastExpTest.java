package org.bandalign.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FastExpTest {
    @ParameterizedTest(name = "fused multiply-adds: {0}")
    @ValueSource(booleans = {true, false})
    void expNonPositive_acrossItsRange_isWithinFourUlpsOfMathExp(boolean fused) {
        Random rnd = new Random(1);
        double worst = 0;
        for (int q = 0; q < 2_000_000; q++) {
            double x = q < 1_000_000 ? -rnd.nextDouble() * 700 : -rnd.nextDouble() * 2;
            double expected = Math.exp(x);
            double rel = Math.abs(FastExp.expNonPositive(x, fused) - expected) / expected;
            worst = Math.max(worst, rel);
        }
        assertTrue(worst < 4 * Math.ulp(1.0), "worst relative error " + worst);
    }

    @ParameterizedTest(name = "fused multiply-adds: {0}")
    @ValueSource(booleans = {true, false})
    void expNonPositive_atTheEdges_isExact(boolean fused) {
        assertEquals(1.0, FastExp.expNonPositive(0.0, fused), 0.0);
        assertEquals(1.0, FastExp.expNonPositive(-0.0, fused), 0.0);
        assertEquals(0.0, FastExp.expNonPositive(Double.NEGATIVE_INFINITY, fused), 0.0);
        assertEquals(0.0, FastExp.expNonPositive(-700.5, fused), 0.0);
        assertEquals(Math.exp(-700.0), FastExp.expNonPositive(-700.0, fused), Math.exp(-700.0) * 1e-15);
        assertEquals(Math.exp(-Math.log(2)), FastExp.expNonPositive(-Math.log(2), fused), 1e-16);
    }
}
