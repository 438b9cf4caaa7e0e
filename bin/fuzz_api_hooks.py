"""schemathesis hooks of bin/fuzz_api (SCHEMATHESIS_HOOKS=bin.fuzz_api_hooks)."""
import schemathesis

# POST /api/v1/inbound-email/ takes a raw e-mail: generated text goes out as the message.
schemathesis.serializer.alias("message/rfc822", "text/plain")
