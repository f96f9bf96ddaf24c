// Package deploy holds no code: its tests lint the deployment files beside
// it (deploy/systemd/brevet.service) and the repository's Dockerfile, and
// check that docs/deploy.md uses them as they are.
package deploy_test
