"""Strings of the knowledge base: error texts by stable code (`knowledge.errors.<code>`), the precise
reason behind each (`knowledge.reasons.<reason>`: what `errorCode` of a file holds), and the labels
of an ingestion's status and stage."""

EN = {
    "knowledge.errors.file_too_large": "The file is too large.",
    "knowledge.errors.unsupported_file_type": "This type of file is not supported.",
    "knowledge.errors.unreadable_file": "The file could not be read.",
    "knowledge.errors.url_unreachable": "The page could not be fetched.",
    "knowledge.errors.unsafe_url": "This address cannot be imported.",
    "knowledge.errors.invalid_query": "Write what to search for (up to 1,000 characters).",
    "knowledge.reasons.too_large": "The file is larger than {limit_mb} MB. Split it or upload a smaller one.",
    "knowledge.reasons.too_much_text": "The file holds more than {limit} characters of text. Split it into "
                                       "smaller files.",
    "knowledge.reasons.unsupported_type": "This type of file is not supported. Upload a PDF, Word (.docx), text, "
                                          "Markdown or HTML file.",
    "knowledge.reasons.legacy_office": "Old Word (.doc) and other legacy Office files are not supported. Save it "
                                       "as .docx or PDF and upload it again.",
    "knowledge.reasons.empty": "The file is empty: there is no text in it.",
    "knowledge.reasons.corrupt": "The file is damaged or is not really the type its name says.",
    "knowledge.reasons.encrypted": "The file is protected by a password. Remove the protection and upload it again.",
    "knowledge.reasons.no_text": "This PDF has no text layer (it looks scanned). Run it through OCR, or upload "
                                 "the original document.",
    "knowledge.reasons.unsafe_url": "Only public http:// or https:// addresses can be imported.",
    "knowledge.reasons.url_unreachable": "The page could not be fetched. Check that the address is public and "
                                         "opens in a browser.",
    "knowledge.reasons.url_status": "The page answered with HTTP status {status}.",
    "knowledge.reasons.url_timeout": "The page took too long to answer.",
    "knowledge.reasons.embedding_failed": "The text could not be indexed because the embedding service failed. "
                                          "Upload the file again in a moment.",
    "knowledge.reasons.interrupted": "Processing was interrupted several times. Upload the file again; if it "
                                     "keeps failing, split it into smaller files.",
    "knowledge.reasons.file_missing": "The stored copy of the file is missing. Upload it again.",
    "knowledge.reasons.internal": "Something went wrong while processing the file. Upload it again.",
    "knowledge.status.processing": "Processing",
    "knowledge.status.ready": "Ready",
    "knowledge.status.failed": "Failed",
    "knowledge.stage.queued": "Waiting",
    "knowledge.stage.extract": "Reading the text",
    "knowledge.stage.chunk": "Splitting into passages",
    "knowledge.stage.embed": "Indexing",
    "knowledge.stage.write": "Saving",
    "knowledge.stage.done": "Done",
}

PT_BR = {
    "knowledge.errors.file_too_large": "O arquivo é grande demais.",
    "knowledge.errors.unsupported_file_type": "Este tipo de arquivo não é aceito.",
    "knowledge.errors.unreadable_file": "Não foi possível ler o arquivo.",
    "knowledge.errors.url_unreachable": "Não foi possível buscar a página.",
    "knowledge.errors.unsafe_url": "Este endereço não pode ser importado.",
    "knowledge.errors.invalid_query": "Escreva o que procurar (até 1.000 caracteres).",
    "knowledge.reasons.too_large": "O arquivo tem mais de {limit_mb} MB. Divida-o ou envie um arquivo menor.",
    "knowledge.reasons.too_much_text": "O arquivo tem mais de {limit} caracteres de texto. Divida-o em arquivos "
                                       "menores.",
    "knowledge.reasons.unsupported_type": "Este tipo de arquivo não é aceito. Envie um arquivo PDF, Word (.docx), "
                                          "texto, Markdown ou HTML.",
    "knowledge.reasons.legacy_office": "Arquivos antigos do Word (.doc) e outros formatos antigos do Office não são "
                                       "aceitos. Salve como .docx ou PDF e envie de novo.",
    "knowledge.reasons.empty": "O arquivo está vazio: não há texto nele.",
    "knowledge.reasons.corrupt": "O arquivo está danificado ou não é do tipo que o nome indica.",
    "knowledge.reasons.encrypted": "O arquivo está protegido por senha. Remova a proteção e envie de novo.",
    "knowledge.reasons.no_text": "Este PDF não tem camada de texto (parece digitalizado). Passe-o por um OCR ou "
                                 "envie o documento original.",
    "knowledge.reasons.unsafe_url": "Só é possível importar endereços públicos http:// ou https://.",
    "knowledge.reasons.url_unreachable": "Não foi possível buscar a página. Verifique se o endereço é público e "
                                         "abre no navegador.",
    "knowledge.reasons.url_status": "A página respondeu com o status HTTP {status}.",
    "knowledge.reasons.url_timeout": "A página demorou demais para responder.",
    "knowledge.reasons.embedding_failed": "O texto não pôde ser indexado porque o serviço de embeddings falhou. "
                                          "Envie o arquivo de novo em instantes.",
    "knowledge.reasons.interrupted": "O processamento foi interrompido várias vezes. Envie o arquivo de novo; se "
                                     "continuar falhando, divida-o em arquivos menores.",
    "knowledge.reasons.file_missing": "A cópia guardada do arquivo sumiu. Envie-o de novo.",
    "knowledge.reasons.internal": "Algo deu errado ao processar o arquivo. Envie-o de novo.",
    "knowledge.status.processing": "Processando",
    "knowledge.status.ready": "Pronto",
    "knowledge.status.failed": "Falhou",
    "knowledge.stage.queued": "Na fila",
    "knowledge.stage.extract": "Lendo o texto",
    "knowledge.stage.chunk": "Dividindo em trechos",
    "knowledge.stage.embed": "Indexando",
    "knowledge.stage.write": "Salvando",
    "knowledge.stage.done": "Concluído",
}
