// Package iot is Brevet's subset of AWS IoT Core that turns a device's
// X.509 certificate into temporary credentials, as AWS IoT's credentials
// provider does: CA and device certificates with their status, things
// with attributes and the certificates attached to them, and role
// aliases (the management API, `aws iot ...`); and the device-facing
// exchange, a registered ACTIVE certificate (and its thing) for a role
// session through sts.ServiceSession with the service principal
// credentials.iot.amazonaws.com.
//
// Resources are documents in store.Objects (kinds "iot.ca-certificate",
// "iot.certificate", "iot.thing", "iot.thing-type", "iot.role-alias"); a
// certificate's id is the hex SHA-256 of its DER, as AWS's. The service
// takes typed inputs and the time, and knows nothing of HTTP: register.go
// puts the management actions on the REST-JSON codec, and package
// iot/provider serves the device endpoint over mutual TLS. It keeps no
// state between calls but a cache of what the device path reads, which
// the node drops as the change feed reports object writes (Apply).
package iot
