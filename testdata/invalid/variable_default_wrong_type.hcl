variable "port" {
  type    = number
  default = "six thousand" # ERROR: Invalid default value for variable
}

redis "main" {
  address = "127.0.0.1:6379"
}
