//go:build benchknobs

// This file exists only in a build made with -tags benchknobs: a build for
// measuring what durability costs, never one to run in production. It
// lets environment variables switch off the durable trail and the
// issuance index behind it, so that `brevet bench` can show how much of
// the server's time each one takes (docs/load-benchmark.md, "What durability costs"):
//
//	BREVET_BENCHKNOB_AUDIT=durable|nofsync|null
//	  durable: the trail as shipped (write and fsync before each response);
//	  nofsync: written but never fsynced (lost on power failure, not on a
//	           crash of the process);
//	  null:    encoded and hash-chained, then discarded.
//	BREVET_BENCHKNOB_RECORDS=sync|off
//	  sync: the issuance index written behind the trail, as shipped;
//	  off:  not written at all (sessions list shows nothing).
//
// The production binary has no such switch, deliberately: there is no way
// to configure auditing or the issuance index off.

package main

import (
	"fmt"
	"os"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/audit/audittest"
	"github.com/brevet-dev/brevet/internal/node"
)

// benchNodeOptions are the node options the knobs ask for; it fails the
// command on a knob it does not know.
func benchNodeOptions() (node.Options, error) {
	open, skip, err := benchKnobs(os.Getenv)
	if err != nil {
		return node.Options{}, err
	}
	fmt.Fprintf(os.Stderr, "brevet: benchmark build (-tags benchknobs): audit=%s records=%s; never run this build in production\n",
		knobOr(os.Getenv("BREVET_BENCHKNOB_AUDIT"), "durable"), knobOr(os.Getenv("BREVET_BENCHKNOB_RECORDS"), "sync"))
	return node.Options{AuditOpenFile: open, SkipIssuanceRecords: skip}, nil
}

// benchKnobs reads the knobs through getenv.
func benchKnobs(getenv func(string) string) (open audit.OpenFileFunc, skipRecords bool, err error) {
	switch v := getenv("BREVET_BENCHKNOB_AUDIT"); v {
	case "", "durable":
	case "nofsync":
		open = audittest.OpenNoSync
	case "null":
		open = audittest.OpenNull
	default:
		return nil, false, fmt.Errorf("BREVET_BENCHKNOB_AUDIT=%q: want durable, nofsync or null", v)
	}
	switch v := getenv("BREVET_BENCHKNOB_RECORDS"); v {
	case "", "sync":
	case "off":
		skipRecords = true
	default:
		return nil, false, fmt.Errorf("BREVET_BENCHKNOB_RECORDS=%q: want sync or off", v)
	}
	return open, skipRecords, nil
}

func knobOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
