// Package config turns defaults, a YAML file, BREVET_* environment variables
// and command-line flags into one validated, typed runtime Config for
// `brevet serve`.
//
// Precedence, lowest to highest: defaults < file < environment < flags. A
// setting given at a higher level replaces the lower one entirely (lists are
// not merged). The file form is strict: an unknown key or a value of the wrong
// type is an error naming the key and its line, because a misspelt key that
// is silently ignored is a security setting silently left at its default.
//
// The file form (yaml tags, strings as written) is never used by the rest of
// the program: it is converted into Config, where durations and sizes are
// parsed, addresses and identifiers are validated and secrets are loaded.
// Every error names the setting, where its value came from (flag,
// environment variable, file and line) and what to do about it.
//
// The package reads the config file and the master key file and nothing
// else: it does not create the data directory, open the store or load TLS
// certificates, which belong to the packages that use them. Secrets (the
// master key, a store password) never appear in an error, in String or in
// LogValue.
package config
