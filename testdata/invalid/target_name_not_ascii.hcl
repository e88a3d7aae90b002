redis "café" { # ERROR: Invalid target name
  address = "127.0.0.1:6379"
}
