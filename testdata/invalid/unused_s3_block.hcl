redis "main" {
  address = "127.0.0.1:6379"
  backup {
    destination = "/var/backups/redis"
    copy_to     = ["/var/backups/redis/"] # ERROR: Duplicate destination
    s3 { # ERROR: Unused s3 block
      region = "eu-west-1"
    }
  }
}
