# A Redis 7.0 server and a Valkey 8.1 server back up to one place: Redis
# 7.0 loads RDB version 10, Valkey 8.1 writes 11.
redis "old" {
  address       = "127.0.0.1:6379"
  redis_version = "7.0"

  backup {
    schedule    = "0 3 * * *"
    destination = "/var/backups/redis"
  }
}

redis "new" {
  address       = "127.0.0.1:6380"
  redis_version = "valkey-8.1"

  backup {
    schedule    = "0 3 * * *"
    destination = "/var/backups/redis/"
  }
}

# Redis 8.0 writes RDB 12, which Valkey refuses; the two S3 URLs are the
# same place.
redis "redis8" {
  address       = "127.0.0.1:6381"
  redis_version = "8.0"

  backup {
    schedule    = "0 3 * * *"
    destination = "s3://bucket/redis"
  }
}

redis "valkey8" {
  address       = "127.0.0.1:6382"
  redis_version = "valkey-8.0"

  backup {
    schedule    = "0 3 * * *"
    destination = "s3://bucket/redis/"
  }
}
