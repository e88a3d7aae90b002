# The archive commits every 5 seconds; the target promises at most 1.
redis "main" {
  address = "127.0.0.1:6379"
  rpo     = "1s"

  backup {
    schedule    = "0 3 * * *"
    destination = "s3://redis-backups/main"
    archive {
      flush = "5s"
    }
  }
}
