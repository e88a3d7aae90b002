//go:build !amd64

package rdb

func updateCRC64(crc uint64, p []byte) uint64 { return updateCRC64Tables(crc, p) }
