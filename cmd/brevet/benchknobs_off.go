//go:build !benchknobs

package main

import "github.com/brevet-dev/brevet/internal/node"

// benchNodeOptions are the node options of the benchmark build
// (benchknobs.go); the production binary has none.
func benchNodeOptions() (node.Options, error) { return node.Options{}, nil }
