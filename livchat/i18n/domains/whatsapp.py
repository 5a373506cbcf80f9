"""Strings of the WhatsApp gateway services: error texts by stable code (`whatsapp.errors.<code>`)."""

EN = {
    "whatsapp.errors.message_rejected": "WhatsApp refused this message, so it was not sent. Check its content "
                                        "and media, then try again.",
    "whatsapp.errors.invalid_phone": "Enter a valid phone number with its country code, e.g. +55 11 91234-5678.",
    "whatsapp.errors.instance_not_connected": "This WhatsApp instance is not connected. Connect it and link a phone first.",
    "whatsapp.errors.already_connected": "This WhatsApp instance is already linked to a phone.",
    "whatsapp.errors.gateway_unavailable": "The WhatsApp gateway is unavailable. Try again in a moment.",
    "whatsapp.errors.gateway_timeout": "The WhatsApp gateway did not answer in time. The message may or may not "
                                       "have been sent; it was not retried.",
    "whatsapp.errors.malformed_event": "The event could not be understood.",
    "whatsapp.errors.payload_too_large": "The request is too large.",
    "whatsapp.errors.invalid_signature": "Missing or invalid signature.",
    "whatsapp.errors.invalid_instance_name": "Enter an instance name (up to 100 characters).",
    "whatsapp.errors.instance_owner_required": "An instance needs an organization or a test-panel session.",
    "whatsapp.errors.invalid_message_type": "The message type must be text, image, audio, video, document or location.",
    "whatsapp.errors.text_required": "Write the message text.",
    "whatsapp.errors.nul_character": "The text cannot contain NUL characters.",
    "whatsapp.errors.text_too_long": "The message text is too long (at most 65,536 characters).",
    "whatsapp.errors.caption_too_long": "The caption is too long (at most 1,024 characters).",
    "whatsapp.errors.invalid_location": "Give a valid latitude (-90 to 90) and longitude (-180 to 180).",
    "whatsapp.errors.location_zero_coordinate": "WhatsApp does not accept a latitude or a longitude of exactly 0; "
                                                "move the point slightly (e.g. 0.0001).",
    "whatsapp.errors.media_unreachable": "The media URL could not be fetched. Check that it is public and answers "
                                         "with the file.",
    "whatsapp.errors.file_name_required": "A document needs a file name.",
    "whatsapp.errors.media_required": "Give the media either as mediaUrl or as mediaBase64 (exactly one).",
    "whatsapp.errors.invalid_media_url": "The media URL must be an http or https address.",
    "whatsapp.errors.mime_type_required": "Give mimeType with raw base64 media (or send a data: URL).",
    "whatsapp.errors.unsupported_media_type": "This file type is not allowed for this message type.",
    "whatsapp.errors.media_too_large": "The media is too large: images up to 5 MB, audio and video up to 16 MB, "
                                       "documents up to 100 MB.",
    "whatsapp.errors.invalid_base64": "The media is not valid base64.",
    "whatsapp.errors.message_ids_required": "Give the ids of the messages to mark as read.",
    "whatsapp.errors.reply_to_not_found": "The message to reply to does not exist on this instance.",
}

PT_BR = {
    "whatsapp.errors.message_rejected": "O WhatsApp recusou esta mensagem, então ela não foi enviada. Verifique o "
                                        "conteúdo e a mídia e tente novamente.",
    "whatsapp.errors.invalid_phone": "Informe um número de telefone válido com o código do país, ex.: +55 11 91234-5678.",
    "whatsapp.errors.instance_not_connected": "Esta instância do WhatsApp não está conectada. Conecte-a e vincule um "
                                              "telefone primeiro.",
    "whatsapp.errors.already_connected": "Esta instância do WhatsApp já está vinculada a um telefone.",
    "whatsapp.errors.gateway_unavailable": "O gateway do WhatsApp está indisponível. Tente novamente em instantes.",
    "whatsapp.errors.gateway_timeout": "O gateway do WhatsApp não respondeu a tempo. A mensagem pode ou não ter sido "
                                       "enviada; ela não foi reenviada.",
    "whatsapp.errors.malformed_event": "Não foi possível entender o evento.",
    "whatsapp.errors.payload_too_large": "A requisição é grande demais.",
    "whatsapp.errors.invalid_signature": "Assinatura ausente ou inválida.",
    "whatsapp.errors.invalid_instance_name": "Informe um nome para a instância (até 100 caracteres).",
    "whatsapp.errors.instance_owner_required": "Uma instância precisa de uma organização ou de uma sessão do painel "
                                               "de teste.",
    "whatsapp.errors.invalid_message_type": "O tipo da mensagem deve ser text, image, audio, video, document ou "
                                            "location.",
    "whatsapp.errors.text_required": "Escreva o texto da mensagem.",
    "whatsapp.errors.nul_character": "O texto não pode conter caracteres NUL.",
    "whatsapp.errors.text_too_long": "O texto da mensagem é longo demais (no máximo 65.536 caracteres).",
    "whatsapp.errors.caption_too_long": "A legenda é longa demais (no máximo 1.024 caracteres).",
    "whatsapp.errors.invalid_location": "Informe uma latitude (-90 a 90) e uma longitude (-180 a 180) válidas.",
    "whatsapp.errors.location_zero_coordinate": "O WhatsApp não aceita latitude ou longitude exatamente 0; desloque "
                                                "o ponto um pouco (ex.: 0.0001).",
    "whatsapp.errors.media_unreachable": "Não foi possível baixar a mídia da URL. Verifique se ela é pública e "
                                         "responde com o arquivo.",
    "whatsapp.errors.file_name_required": "Um documento precisa de um nome de arquivo.",
    "whatsapp.errors.media_required": "Envie a mídia como mediaUrl ou como mediaBase64 (exatamente um dos dois).",
    "whatsapp.errors.invalid_media_url": "A URL da mídia deve ser um endereço http ou https.",
    "whatsapp.errors.mime_type_required": "Informe mimeType junto com base64 puro (ou envie uma URL data:).",
    "whatsapp.errors.unsupported_media_type": "Este tipo de arquivo não é permitido para este tipo de mensagem.",
    "whatsapp.errors.media_too_large": "A mídia é grande demais: imagens até 5 MB, áudio e vídeo até 16 MB, "
                                       "documentos até 100 MB.",
    "whatsapp.errors.invalid_base64": "A mídia não é um base64 válido.",
    "whatsapp.errors.message_ids_required": "Informe os ids das mensagens a marcar como lidas.",
    "whatsapp.errors.reply_to_not_found": "A mensagem a ser respondida não existe nesta instância.",
}
