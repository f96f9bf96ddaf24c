package config

import "strconv"

// Error is one thing wrong with the configuration: which setting, where
// its value came from, and what is wrong with it and what to do. Load joins
// every Error it finds (errors.Join), so an operator fixes them all in one
// go; use errors.As to inspect them. No Error holds a secret value.
type Error struct {
	// Setting is the file key of the setting ("listen", "tls.cert"), or
	// the environment variable for a setting that has no file key.
	Setting string
	// Source is where the offending value came from: "--listen",
	// "BREVET_LISTEN", "brevet.yaml:3", or "" for a default or for a
	// problem with how settings combine.
	Source string
	// Msg says what is wrong and what to do.
	Msg string
}

func (e *Error) Error() string {
	if e.Source == "" || e.Source == e.Setting {
		return e.Setting + ": " + e.Msg
	}
	return e.Source + ": " + e.Setting + ": " + e.Msg
}

// origin records where a value came from, so errors can point at it.
type origin struct {
	layer layer
	// name is the flag ("--listen"), the environment variable, or the
	// file path.
	name string
	line int // in the file, for layerFile
}

// layer is one level of precedence; a higher layer wins.
type layer int

const (
	layerDefault layer = iota
	layerFile
	layerEnv
	layerFlag
)

func (o origin) String() string {
	switch o.layer {
	case layerDefault:
		return ""
	case layerFile:
		return o.name + ":" + strconv.Itoa(o.line)
	}
	return o.name
}

func newError(s settingID, from origin, msg string) *Error {
	return &Error{Setting: s.name(), Source: from.String(), Msg: msg}
}
