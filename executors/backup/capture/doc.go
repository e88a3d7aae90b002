// Package capture takes the raw material of a backup from a running Redis
// server: a fresh RDB file written by BGSAVE (BGSave), a full RDB streamed
// over the replica handshake for servers whose files are out of reach
// (Replication), and a consistent copy of a Redis 7 multi-part AOF
// directory (AOFSnapshot).
//
// It only captures: storing, compressing, encrypting and verifying the
// result is the job of the backup package. Every error names the server
// and says what to check, and never contains the connection's password.
package capture
