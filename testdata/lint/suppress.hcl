# Suppressions: comments above the offending line and trailing it, and
# ignore blocks. The test applies them on 2026-06-15.

redis "cache" {
  address = "127.0.0.1:6379"
  durable = true

  memory {
    max = "1gb"
    # redisplan:ignore RP005 reason="sessions may be evicted; the ledger is elsewhere" until=2027-03-31
    policy = "allkeys-lru"
  }

  security {
    bind              = "127.0.0.1"
    protected_mode    = false # redisplan:ignore RP004 reason="docker network only"
    disabled_commands = ["FLUSHALL"]
  }
}

# redisplan:ignore RP012 reason="sized by the orchestrator" until=2026-01-01
redis "store" { # redisplan:ignore RP013
  address = "127.0.0.1:6380"

  # redisplan:ignore RP099 reason="no such rule"
  settings = {
    "hz" = 10 # redisplan:ignroe RP012
  }
}

ignore {
  rule    = "RP009"
  targets = ["cache"]
  reason  = "backed up by the storage snapshots"
  until   = "2027-01-01"
}

ignore {
  rule = "RP013"
}

ignore {
  rule   = "RP011"
  reason = "kept until the ACL migration"
  until  = "2026-01-01"
}
