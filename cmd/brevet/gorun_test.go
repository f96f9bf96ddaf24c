package main

import (
	"path/filepath"
	"testing"
)

func TestIsGoRunExecutable(t *testing.T) {
	for _, tc := range []struct {
		path string
		want bool
	}{
		{"/tmp/go-build528454831/b001/exe/brevet", true},
		{filepath.Join("C:", "Users", "x", "AppData", "Local", "Temp", "go-build1", "b001", "exe", "brevet.exe"), true},
		{"/root/.cache/go-build/a0/a0edfd81caf026eec8f24c56e636ce59d4ea3c465f913d095c361fae1b10e262-d/brevet", true},
		{"/Users/x/Library/Caches/go-build/a0/a0edfd81caf026eec8f24c56e636ce59d4ea3c465f913d095c361fae1b10e262-d/brevet", true},
		{"/cache/b1/a0edfd81caf026eec8f24c56e636ce59d4ea3c465f913d095c361fae1b10e262-d/brevet", false},
		{"/cache/a0/a0edfd81caf026eec8f24c56e636ce59d4ea3c465f913d095c361fae1b10e262/brevet", false},
		{"/cache/a0/a0EDFD81caf026eec8f24c56e636ce59d4ea3c465f913d095c361fae1b10e262-d/brevet", false},
		{"/usr/local/bin/brevet", false},
		{"/tmp/brevet-e2e-1/brevet", false},
		{"/opt/exe/brevet", false},
		{"/tmp/go-build1/b001/brevet.test", false},
	} {
		if got := isGoRunExecutable(tc.path); got != tc.want {
			t.Errorf("isGoRunExecutable(%q) = %v, want %v", tc.path, got, tc.want)
		}
	}
}
