# A store with AOF on, and a cache that keeps nothing on disk on purpose.

redis "store" {
  address = "127.0.0.1:6379"

  persistence {
    aof {
      enabled = true
      fsync   = "everysec"
    }
    rdb {}
  }
}

redis "cache" {
  address   = "127.0.0.1:6380"
  ephemeral = true

  persistence {
    aof {
      enabled = false
    }
    rdb {}
  }
}

# Without a persistence block, Redis keeps its default save points.
redis "defaults" {
  address = "127.0.0.1:6381"
}
