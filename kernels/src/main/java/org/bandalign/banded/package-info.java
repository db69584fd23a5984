/**
 * Batched square banded matrices with genbmm's storage and semantics (SPEC section 3).
 */
package org.bandalign.banded;
