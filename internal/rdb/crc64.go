package rdb

import (
	"encoding/binary"
	"math/bits"
)

// jonesPoly is the CRC-64/Jones polynomial in its normal (MSB-first) form.
// Redis uses the reflected algorithm, so the tables are built from its bit
// reversal.
const jonesPoly = 0xad93d23594c935a9

// crcTables holds the slicing-by-16 tables: crcTables[0] is the classic
// byte-at-a-time table, and crcTables[k][b] is the CRC of byte b followed
// by k zero bytes, which lets UpdateCRC64 fold sixteen input bytes per
// step with independent lookups. (Slicing by 16 measured about 20% faster
// than by 8 here; the tables take 32 KiB.)
var crcTables = makeTables()

func makeTables() *[16][256]uint64 {
	poly := bits.Reverse64(jonesPoly)
	t := new([16][256]uint64)
	for i := range 256 {
		c := uint64(i)
		for range 8 {
			if c&1 == 1 {
				c = c>>1 ^ poly
			} else {
				c >>= 1
			}
		}
		t[0][i] = c
	}
	for i := range 256 {
		c := t[0][i]
		for k := 1; k < 16; k++ {
			c = t[0][c&0xff] ^ c>>8
			t[k][i] = c
		}
	}
	return t
}

// CRC64 returns the CRC-64/Jones checksum Redis stores at the end of an
// RDB file: reflected, polynomial 0xad93d23594c935a9, initial value 0 and
// no final xor.
func CRC64(p []byte) uint64 {
	return UpdateCRC64(0, p)
}

// UpdateCRC64 returns the checksum crc extended with p, so that a stream
// can be checksummed in pieces: UpdateCRC64(CRC64(a), b) == CRC64(a+b).
func UpdateCRC64(crc uint64, p []byte) uint64 { return updateCRC64(crc, p) }

// updateCRC64Tables is UpdateCRC64 with the tables alone, on every
// processor.
func updateCRC64Tables(crc uint64, p []byte) uint64 {
	t := crcTables
	for len(p) >= 16 {
		lo := crc ^ binary.LittleEndian.Uint64(p)
		hi := binary.LittleEndian.Uint64(p[8:])
		crc = t[15][lo&0xff] ^
			t[14][lo>>8&0xff] ^
			t[13][lo>>16&0xff] ^
			t[12][lo>>24&0xff] ^
			t[11][lo>>32&0xff] ^
			t[10][lo>>40&0xff] ^
			t[9][lo>>48&0xff] ^
			t[8][lo>>56] ^
			t[7][hi&0xff] ^
			t[6][hi>>8&0xff] ^
			t[5][hi>>16&0xff] ^
			t[4][hi>>24&0xff] ^
			t[3][hi>>32&0xff] ^
			t[2][hi>>40&0xff] ^
			t[1][hi>>48&0xff] ^
			t[0][hi>>56]
		p = p[16:]
	}
	// A tail of 8..15 bytes takes one 8-byte step.
	for len(p) >= 8 {
		crc ^= binary.LittleEndian.Uint64(p)
		crc = t[7][crc&0xff] ^
			t[6][crc>>8&0xff] ^
			t[5][crc>>16&0xff] ^
			t[4][crc>>24&0xff] ^
			t[3][crc>>32&0xff] ^
			t[2][crc>>40&0xff] ^
			t[1][crc>>48&0xff] ^
			t[0][crc>>56]
		p = p[8:]
	}
	for _, b := range p {
		crc = t[0][byte(crc)^b] ^ crc>>8
	}
	return crc
}
