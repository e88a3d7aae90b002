redis "main" { # ERROR: Unclosed configuration block
  address = "127.0.0.1:6379"
