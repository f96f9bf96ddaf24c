//go:build !linux

package main

import "syscall"

// childSysProcAttr has nothing to add off Linux (where the benchmark
// cannot read /proc anyway).
func childSysProcAttr() *syscall.SysProcAttr { return nil }
