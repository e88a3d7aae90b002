// Package layers holds the test that keeps the module's imports pointing
// down: cmd (and scripts) → operations → planner | executors → hcl →
// internal. planner and executors are siblings and never import each
// other; a package may import packages of its own layer.
package layers
