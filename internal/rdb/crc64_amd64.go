package rdb

import (
	"encoding/binary"
	"math/bits"

	"golang.org/x/sys/cpu"
)

// With PCLMULQDQ the CRC folds 16 bytes per step with two carry-less
// multiplications (the method of Intel's "Fast CRC Computation for
// Generic Polynomials Using PCLMULQDQ"), several times as fast as the
// tables (BenchmarkCRC64), and finishes the last 16 bytes and the tail
// with the tables.
//
// In the reflected bit order Redis uses, a 16-byte block loaded
// little-endian holds rev64(H) in its low lane and rev64(L) in its high
// lane, where H and L are the block's first and second 64 coefficients.
// Appending a block B to a folded value R = H·x^64 + L gives
// R·x^128 + B ≡ H·(x^192 mod P) + L·(x^128 mod P) + B. A carry-less
// product of two reflected 64-bit values comes out one bit short of the
// reflected 128-bit product, so the constants for a fold by D bits are
// x^(D+63) and x^(D-1) mod P. Four accumulators fold by 512 bits each
// round, then fold onto each other by 384, 256 and 128 bits; what is left
// folds by 128 bits, 16 bytes at a time.
var foldKeys = [8]uint64{
	bits.Reverse64(xPowMod(575)), bits.Reverse64(xPowMod(511)),
	bits.Reverse64(xPowMod(447)), bits.Reverse64(xPowMod(383)),
	bits.Reverse64(xPowMod(319)), bits.Reverse64(xPowMod(255)),
	bits.Reverse64(xPowMod(191)), bits.Reverse64(xPowMod(127)),
}

var haveCLMUL = cpu.X86.HasPCLMULQDQ && cpu.X86.HasSSE41

// clmulMin is the length from which folding pays for its setup.
const clmulMin = 64

//go:noescape
func foldCLMUL(crc uint64, p []byte, k *[8]uint64) (lo, hi uint64)

// xPowMod returns x^n modulo the CRC polynomial, in the normal
// (MSB-first) form: bit i is the coefficient of x^i.
func xPowMod(n int) uint64 {
	v := uint64(1)
	for range n {
		carry := v >> 63
		v <<= 1
		if carry != 0 {
			v ^= jonesPoly
		}
	}
	return v
}

func updateCRC64(crc uint64, p []byte) uint64 {
	if !haveCLMUL || len(p) < clmulMin {
		return updateCRC64Tables(crc, p)
	}
	n := len(p) &^ 15
	lo, hi := foldCLMUL(crc, p[:n], &foldKeys)
	var folded [16]byte
	binary.LittleEndian.PutUint64(folded[:8], lo)
	binary.LittleEndian.PutUint64(folded[8:], hi)
	crc = updateCRC64Tables(0, folded[:])
	return updateCRC64Tables(crc, p[n:])
}
