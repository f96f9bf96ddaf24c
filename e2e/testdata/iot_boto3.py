"""The IoT management calls of e2e/iot_test.go, through boto3's iot client:
register a CA and a device certificate it issued, a certificate without a
CA, a thing with attributes attached to the device certificate, and role
aliases. Prints what the test needs as JSON."""
import json
import os

import boto3

d = os.environ["E2E_DIR"]
read = lambda name: open(os.path.join(d, name)).read()
iot = boto3.client("iot")

ca = iot.register_ca_certificate(caCertificate=read("factory-ca.pem"), setAsActive=True)
assert iot.describe_ca_certificate(certificateId=ca["certificateId"])["certificateDescription"]["status"] == "ACTIVE"
dev = iot.register_certificate(certificatePem=read("device.pem"), caCertificatePem=read("factory-ca.pem"), setAsActive=True)
desc = iot.describe_certificate(certificateId=dev["certificateId"])["certificateDescription"]
assert desc["status"] == "ACTIVE" and desc["caCertificateId"] == ca["certificateId"], desc
noca = iot.register_certificate_without_ca(certificatePem=read("sensor.pem"), status="ACTIVE")

iot.create_thing(thingName="lamp", attributePayload={"attributes": {"room": "kitchen", "floor": "2"}})
iot.create_thing(thingName="other")
iot.attach_thing_principal(thingName="lamp", principal=dev["certificateArn"])
assert iot.list_thing_principals(thingName="lamp")["principals"] == [dev["certificateArn"]]
assert iot.list_principal_things(principal=dev["certificateArn"])["things"] == ["lamp"]
assert iot.describe_thing(thingName="lamp")["attributes"] == {"room": "kitchen", "floor": "2"}

alias = iot.create_role_alias(roleAlias="lamp-role", roleArn=os.environ["E2E_ROLE_ARN"], credentialDurationSeconds=900)
iot.create_role_alias(roleAlias="ec2-role", roleArn=os.environ["E2E_EC2_ROLE_ARN"])
iot.update_role_alias(roleAlias="lamp-role", credentialDurationSeconds=1800)
ra = iot.describe_role_alias(roleAlias="lamp-role")["roleAliasDescription"]
assert ra["credentialDurationSeconds"] == 1800 and ra["roleArn"] == os.environ["E2E_ROLE_ARN"], ra
assert sorted(iot.list_role_aliases()["roleAliases"]) == ["ec2-role", "lamp-role"]

endpoint = iot.describe_endpoint(endpointType="iot:CredentialProvider")["endpointAddress"]
try:
    iot.delete_certificate(certificateId=dev["certificateId"])
    raise SystemExit("deleting an ACTIVE certificate succeeded")
except iot.exceptions.CertificateStateException:
    pass

print(json.dumps({"deviceId": dev["certificateId"], "deviceArn": dev["certificateArn"], "caId": ca["certificateId"],
                  "sensorId": noca["certificateId"], "aliasArn": alias["roleAliasArn"], "endpoint": endpoint}))
