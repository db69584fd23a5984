package org.bandalign.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FastLogTest {
    /** Where the forward pass uses it: sums of 1 to 4 terms of which the largest is 1. */
    @ParameterizedTest(name = "fused multiply-adds: {0}")
    @ValueSource(booleans = {true, false})
    void logPositive_onOneToFour_isWithinTwoUlpsOfOneOfMathLog(boolean fused) {
        Random rnd = new Random(3);
        double worst = 0;
        for (int q = 0; q < 2_000_000; q++) {
            double x = q < 1_000_000 ? 1 + 3 * rnd.nextDouble() : 1 + 1e-6 * rnd.nextDouble();
            worst = Math.max(worst, Math.abs(FastLog.logPositive(x, fused) - Math.log(x)));
        }
        assertTrue(worst <= 2 * Math.ulp(1.0), "worst absolute error " + worst);
    }

    @ParameterizedTest(name = "fused multiply-adds: {0}")
    @ValueSource(booleans = {true, false})
    void logPositive_overTheWholeNormalRange_isWithinFourUlpsOfTheResult(boolean fused) {
        Random rnd = new Random(4);
        for (int q = 0; q < 200_000; q++) {
            double x = Math.exp((rnd.nextDouble() * 2 - 1) * 700);
            double expected = Math.log(x);
            assertEquals(expected, FastLog.logPositive(x, fused), 4 * Math.ulp(Math.max(1.0, Math.abs(expected))), "log " + x);
        }
    }

    @ParameterizedTest(name = "fused multiply-adds: {0}")
    @ValueSource(booleans = {true, false})
    void logPositive_atTableEdgesAndPowersOfTwo_matchesMathLog(boolean fused) {
        assertEquals(0.0, FastLog.logPositive(1.0, fused), 0.0);
        for (int j = 0; j <= 64; j++) {
            double x = 1 + j / 64.0;
            for (double y : new double[] {x, Math.nextDown(x), Math.nextUp(x), 2 * x, Math.nextDown(4.0), 4.0}) {
                assertEquals(Math.log(y), FastLog.logPositive(y, fused), 2 * Math.ulp(1.0), "log " + y);
            }
        }
    }
}
