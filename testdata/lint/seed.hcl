# The seed system's redis.conf as it was, expressed without changes: the
# configuration the policy rules were written against. It runs in a Docker
# container that publishes the port, so it binds every interface with
# protected mode off, and it has no password.

redis "main" {
  address     = "127.0.0.1:6379"
  config_file = "/usr/local/etc/redis/redis.conf"
  data_dir    = "/data"

  service {
    docker_container = "mastertrade_redis"
  }

  persistence {
    aof {
      enabled            = true
      fsync              = "everysec"
      rdb_preamble       = true
      rewrite_percentage = 100
      rewrite_min_size   = "64mb"
      load_truncated     = true
    }
    rdb {
      snapshot {
        after   = "1h"
        changes = 1
      }
      snapshot {
        after   = "5m"
        changes = 100
      }
      snapshot {
        after   = "1m"
        changes = 10000
      }
      compression          = true
      checksum             = true
      stop_writes_on_error = true
    }
  }

  memory {
    max    = "2gb"
    policy = "allkeys-lru"
    lazyfree {
      eviction = true
      expire   = true
    }
  }

  security {
    bind              = "0.0.0.0"
    protected_mode    = false
    disabled_commands = ["FLUSHDB", "FLUSHALL", "CONFIG"]
  }

  monitoring {
    slowlog_threshold = 10000
    latency_threshold = 100
    keyspace_events   = "Ex"
  }

  settings = {
    "activerehashing"    = true
    "jemalloc-bg-thread" = true
  }
}
