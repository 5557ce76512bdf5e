"""scillm's providers for the LiteLLM Proxy: handler instances to name in `config.yaml`.

    litellm_settings:
      custom_provider_map:
        - {provider: certainly, custom_handler: scillm.proxy.certainly}
        - {provider: lean4, custom_handler: scillm.proxy.lean4}
        - {provider: codeworld, custom_handler: scillm.proxy.codeworld}

Importing this module registers the providers (aliases for bare model names
and zero prices included), so `model: certainly` and `model: certainly/coq`
both work in `model_list`. See docs/proxy.md for the whole file.
"""

from __future__ import annotations

from scillm.llms.registry import handler, register_providers

certainly = handler("certainly")
lean4 = handler("lean4")
codeworld = handler("codeworld")

register_providers()

CONFIG_YAML = """\
model_list:
  - model_name: certainly
    litellm_params: {model: certainly/auto}
  - model_name: certainly/*
    litellm_params: {model: certainly/*}
  - model_name: lean4
    litellm_params: {model: lean4/auto}
  - model_name: codeworld
    litellm_params: {model: codeworld/auto}
  - model_name: codeworld/*
    litellm_params: {model: codeworld/*}

litellm_settings:
  custom_provider_map:
    - {provider: certainly, custom_handler: scillm.proxy.certainly}
    - {provider: lean4, custom_handler: scillm.proxy.lean4}
    - {provider: codeworld, custom_handler: scillm.proxy.codeworld}

general_settings:
  master_key: os.environ/LITELLM_MASTER_KEY
"""

__all__ = ["CONFIG_YAML", "certainly", "codeworld", "lean4"]
