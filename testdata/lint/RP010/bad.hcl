redis "main" {
  address  = "127.0.0.1:6379"
  password = "correct-horse-battery"

  security {
    requirepass = "correct-horse-battery"
  }
}

redis "replica" {
  address = "127.0.0.1:6380"

  settings = {
    "masterauth" = "correct-horse-battery"
    "replicaof"  = "127.0.0.1 6379"
  }
}

redis "offsite" {
  address = "127.0.0.1:6381"

  backup {
    destination = "s3://redis-backups/prod"
    s3 {
      access_key = "AKIAEXAMPLE"
      secret_key = "correct-horse-battery"
    }
  }
}
