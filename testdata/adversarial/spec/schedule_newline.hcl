redis "main" {
  address = "127.0.0.1:6379"
  backup {
    schedule    = "0 3 * * *\n* * * * * root touch /tmp/pwned"
    destination = "/var/backups/redis"
  }
}
