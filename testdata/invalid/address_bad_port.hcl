redis "a" {
  address = "127.0.0.1:notaport" # ERROR: Invalid address
}

redis "b" {
  address = "127.0.0.1:99999" # ERROR: Invalid address
}

redis "c" {
  address = "127.0.0.1:0" # ERROR: Invalid address
}

redis "d" {
  address  = "127.0.0.1:6379"
  replicas = ["127.0.0.1:70000"] # ERROR: Invalid replica address
}
