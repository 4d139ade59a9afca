"""Django forms for every command a person sends from the page, by broker: `amqp`
(exchange, queue, binding, consumer, publish), `kafka` (topic, group, offset reset,
send), `sandbox` (producer, speed, seed); what they share is `base`. Views use
`forms.ExchangeForm` and the rest from here."""

from playground.web.forms.amqp import (
    BindingForm,
    ConsumerForm,
    ExchangeForm,
    PublishForm,
    QueueForm,
)
from playground.web.forms.base import MAX_NAME, MAX_PAYLOAD, CommandForm
from playground.web.forms.kafka import GroupForm, OffsetResetForm, SendForm, TopicForm
from playground.web.forms.sandbox import ProducerForm, SeedForm, SpeedForm

__all__ = [
    "MAX_NAME",
    "MAX_PAYLOAD",
    "BindingForm",
    "CommandForm",
    "ConsumerForm",
    "ExchangeForm",
    "GroupForm",
    "OffsetResetForm",
    "ProducerForm",
    "PublishForm",
    "QueueForm",
    "SeedForm",
    "SendForm",
    "SpeedForm",
    "TopicForm",
]
