redis "main" {
  address = "127.0.0.1:6379"
  backup {
    destination = "/var/backups/redis"
    from        = "replica" # ERROR: Backup from a replica without replicas
  }
}
