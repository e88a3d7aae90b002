#include "textflag.h"

// func foldCLMUL(crc uint64, p []byte, k *[8]uint64) (lo, hi uint64)
//
// Folds p (a multiple of 16 bytes, at least 64) into one 128-bit value
// congruent to it modulo the CRC polynomial, with crc XORed into its
// first eight bytes; see crc64_amd64.go for the constants k.
TEXT ·foldCLMUL(SB), NOSPLIT, $0-56
	MOVQ crc+0(FP), AX
	MOVQ p_base+8(FP), SI
	MOVQ p_len+16(FP), CX
	MOVQ k+32(FP), DX

	// Four accumulators, 64 bytes apart, so that the multiplications of
	// one round do not wait for each other.
	MOVOU 0(SI), X0
	MOVOU 16(SI), X1
	MOVOU 32(SI), X2
	MOVOU 48(SI), X3
	MOVQ AX, X4
	PXOR X4, X0
	ADDQ $64, SI
	SUBQ $64, CX
	MOVOU 0(DX), X8 // x^575, x^511: fold by 64 bytes

loop4:
	CMPQ CX, $64
	JB combine
	MOVO X0, X4
	MOVO X1, X5
	MOVO X2, X6
	MOVO X3, X7
	PCLMULQDQ $0x00, X8, X0
	PCLMULQDQ $0x11, X8, X4
	PCLMULQDQ $0x00, X8, X1
	PCLMULQDQ $0x11, X8, X5
	PCLMULQDQ $0x00, X8, X2
	PCLMULQDQ $0x11, X8, X6
	PCLMULQDQ $0x00, X8, X3
	PCLMULQDQ $0x11, X8, X7
	MOVOU 0(SI), X9
	MOVOU 16(SI), X10
	MOVOU 32(SI), X11
	MOVOU 48(SI), X12
	PXOR X4, X0
	PXOR X5, X1
	PXOR X6, X2
	PXOR X7, X3
	PXOR X9, X0
	PXOR X10, X1
	PXOR X11, X2
	PXOR X12, X3
	ADDQ $64, SI
	SUBQ $64, CX
	JMP loop4

combine:
	// X0 by 48 bytes, X1 by 32, X2 by 16, onto X3.
	MOVOU 16(DX), X8 // x^447, x^383
	MOVO X0, X4
	PCLMULQDQ $0x00, X8, X0
	PCLMULQDQ $0x11, X8, X4
	PXOR X4, X3
	PXOR X0, X3
	MOVOU 32(DX), X8 // x^319, x^255
	MOVO X1, X5
	PCLMULQDQ $0x00, X8, X1
	PCLMULQDQ $0x11, X8, X5
	PXOR X5, X3
	PXOR X1, X3
	MOVOU 48(DX), X8 // x^191, x^127
	MOVO X2, X6
	PCLMULQDQ $0x00, X8, X2
	PCLMULQDQ $0x11, X8, X6
	PXOR X6, X3
	PXOR X2, X3
	MOVO X3, X0

loop1:
	CMPQ CX, $16
	JB done
	MOVO X0, X1
	PCLMULQDQ $0x00, X8, X0
	PCLMULQDQ $0x11, X8, X1
	MOVOU (SI), X3
	PXOR X1, X0
	PXOR X3, X0
	ADDQ $16, SI
	SUBQ $16, CX
	JMP loop1

done:
	MOVQ X0, lo+40(FP)
	PEXTRQ $1, X0, AX
	MOVQ AX, hi+48(FP)
	RET
