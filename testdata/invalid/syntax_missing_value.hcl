redis "main" {
  address = # ERROR: Invalid expression
}
