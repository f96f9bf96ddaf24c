// Command brevet is the composition root of Brevet, a self-hosted security
// token service that speaks the AWS STS and IAM APIs.
//
// It is the only package that sees everything: it turns flags and config into
// wiring and runs one subcommand. Domain logic lives under internal/.
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := newRootCmd().Execute(); err != nil {
		// cobra has already printed usage errors; exitError carries a code.
		var code exitCode
		if asExitCode(err, &code) {
			os.Exit(int(code))
		}
		fmt.Fprintln(os.Stderr, "brevet:", err)
		os.Exit(1)
	}
}
