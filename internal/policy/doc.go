// Package policy is the IAM policy language: it parses and validates policy
// documents exactly as AWS does, compiles them once into a form that is cheap
// to evaluate, and evaluates requests with AWS's evaluation logic, returning a
// Decision that says why.
//
// It is pure: no I/O, no store, no clock (time arrives in the request
// context), no net/http. Everything that decides who may do what in Brevet
// goes through this package, so it is the most tested code we have.
package policy
