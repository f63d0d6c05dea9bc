"""Build random-weight seq2seq models with real locally trained tokenizers, saved as Hugging Face folders."""

from __future__ import annotations

import io
import json
import string
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

CORPUS: list[str] = [
    "The city council approved a new budget on Tuesday after months of debate over public transport funding.",
    "Heavy rain caused flooding in several northern villages, forcing hundreds of residents to leave their homes.",
    "The central bank kept interest rates unchanged, citing slowing inflation and a cooling labour market.",
    "Scientists announced the discovery of a new species of frog in the cloud forests of the eastern highlands.",
    "The national football team won its qualifying match three goals to one in front of a sold-out stadium.",
    "Shares in the technology company fell sharply after it reported lower than expected quarterly profits.",
    "A wildfire that started on Sunday has burned more than twelve thousand hectares of dry woodland.",
    "The health ministry said vaccination rates among children have recovered to levels seen before the pandemic.",
    "Officials confirmed that the bridge will remain closed for repairs until the end of the summer.",
    "Negotiators from both countries met in Geneva for a second round of talks on the trade agreement.",
    "The airline cancelled dozens of flights because of a strike by air traffic controllers.",
    "Local farmers say the drought has cut this year's wheat harvest by nearly a third.",
    "The museum will reopen next month after a two-year renovation that cost forty million dollars.",
    "Police arrested two suspects in connection with a series of burglaries in the old town.",
    "The prime minister is expected to announce a cabinet reshuffle later this week.",
    "Electric car sales rose by twenty percent in the first half of the year, according to industry figures.",
    "A magnitude 6.1 earthquake struck off the coast early on Friday, but no tsunami warning was issued.",
    "The university said it would freeze tuition fees for domestic students for the next three years.",
    "Thousands of people marched through the capital to demand higher wages for nurses and teachers.",
    "The company plans to build a battery factory that could employ up to two thousand workers.",
    "Astronomers observed a rare alignment of five planets visible to the naked eye just before dawn.",
    "The court ruled that the law violated the constitution and ordered parliament to revise it.",
    "Unemployment fell to 4.2 percent in March, the lowest level in more than a decade.",
    "The mayor promised to plant ten thousand trees across the city by the end of the decade.",
    "Rescue teams pulled three climbers to safety after they were trapped by an avalanche.",
    "Oil prices climbed above ninety dollars a barrel amid concerns about supply disruptions.",
    "The opposition party won a majority of seats in the regional elections held on Sunday.",
    "A new study suggests that regular walking can lower the risk of heart disease by a third.",
    "The festival attracted more than two hundred thousand visitors over four days of concerts.",
    "Engineers are testing a high-speed train that could cut the journey between the two cities to ninety minutes.",
    "The government will offer subsidies to households that install solar panels on their roofs.",
    "Firefighters brought the blaze at the warehouse under control after six hours.",
    "The tennis champion withdrew from the tournament with a shoulder injury.",
    "Inflation eased for the third consecutive month as food and energy prices stabilised.",
    "The space agency successfully launched a weather satellite into orbit on Wednesday morning.",
    "Hospitals reported a sharp rise in flu cases as temperatures dropped across the region.",
    "The report warns that sea levels could rise faster than previously predicted.",
    "A cargo ship ran aground near the harbour entrance, blocking traffic for several hours.",
    "Voters will decide in a referendum whether to lower the voting age to sixteen.",
    "The software update fixes a security flaw that could allow attackers to access personal data.",
    "Tourism revenue reached a record high last year as international travel recovered.",
    "The zoo welcomed the birth of twin panda cubs, the first born there in over twenty years.",
    "Teachers' unions called off the planned strike after reaching a deal with the education ministry.",
    "Researchers found microplastics in samples of snow collected from remote mountain peaks.",
    "The retailer said it would close forty stores and move more of its business online.",
    "Storm warnings were issued for the coast, with winds expected to reach one hundred kilometres per hour.",
    "The minister resigned on Thursday following allegations of misuse of public funds.",
    "A panel of experts recommended stricter rules for the use of facial recognition by police.",
    "The marathon was won in a course record time of two hours and four minutes.",
    "Construction of the new hospital is running eight months behind schedule.",
    "The charity raised more than one million euros for families affected by the floods.",
    "Fishermen protested against new quotas that they say will threaten their livelihoods.",
    "The film won the top prize at the festival, praised by critics for its striking photography.",
    "Water supplies were restored to most homes after a main pipe burst on Monday night.",
    "The central statistics office revised its growth estimate for the last quarter upward.",
    "A rare manuscript from the fourteenth century was sold at auction for a record price.",
    "Commuters faced long delays after a signal failure halted trains during the morning rush.",
    "The company recalled thousands of baby strollers over concerns about a faulty brake.",
    "Wildlife officials reported that the wolf population has doubled over the past decade.",
    "The summit ended without agreement on how to finance climate adaptation in poorer countries.",
    "Students returned to classrooms on Monday as schools reopened after the winter holidays.",
    "The bank agreed to pay a fine of two hundred million dollars to settle the investigation.",
    "A heatwave pushed temperatures above forty degrees Celsius in the south of the country.",
    "The new law requires all new buildings to meet strict energy efficiency standards.",
    "Doctors say the patient is in stable condition after a twelve-hour operation.",
    "The internet outage affected millions of users for nearly three hours on Saturday.",
    "Archaeologists uncovered the remains of a Roman villa during work on a new motorway.",
    "The union said its members voted overwhelmingly to accept the pay offer.",
    "Housing prices rose for the sixth month in a row, driven by strong demand in large cities.",
    "The president signed an executive order aimed at reducing the cost of prescription drugs.",
    "Emergency services were called after a gas leak forced the evacuation of an apartment block.",
    "The startup raised fifty million dollars to expand its delivery service to ten new cities.",
    "Protesters blocked a major highway for several hours, causing traffic jams across the city.",
    "The committee will publish its final report on the causes of the accident next spring.",
    "Climate scientists said last month was the warmest March on record worldwide.",
    "What happens next? Nobody knows, said the spokesperson, adding that talks would continue.",
    'Breaking: the river burst its banks at 3:40 a.m., and "the water rose very fast", one resident said.',
    "In a statement, the company said: 'We are working to restore service as quickly as possible.'",
    "Le gouvernement a annoncé mardi une hausse du salaire minimum à partir du mois prochain.",
    "De fortes pluies ont provoqué des inondations dans plusieurs villages du nord du pays.",
    "La banque centrale a maintenu ses taux d'intérêt inchangés en raison du ralentissement de l'inflation.",
    "Des milliers de personnes ont manifesté dans la capitale pour réclamer de meilleurs salaires.",
    "Le musée rouvrira ses portes le mois prochain après deux ans de travaux.",
    "L'équipe nationale a remporté son match de qualification devant un stade plein.",
    "Les prix du pétrole ont augmenté en raison des craintes concernant l'approvisionnement.",
    "Le maire a promis de planter dix mille arbres dans la ville d'ici la fin de la décennie.",
    "أعلنت الحكومة يوم الثلاثاء عن زيادة الحد الأدنى للأجور اعتبارا من الشهر المقبل.",
    "تسببت الأمطار الغزيرة في فيضانات في عدة قرى شمال البلاد.",
    "أبقى البنك المركزي أسعار الفائدة دون تغيير بسبب تباطؤ التضخم.",
    "تظاهر آلاف الأشخاص في العاصمة للمطالبة بتحسين الأجور.",
    "فاز المنتخب الوطني في مباراة التصفيات أمام ملعب ممتلئ بالجماهير.",
    "ارتفعت أسعار النفط بسبب المخاوف بشأن الإمدادات.",
    "سيعاد افتتاح المتحف الشهر المقبل بعد عامين من أعمال الترميم.",
    "قال العلماء إن الشهر الماضي كان الأكثر حرارة على الإطلاق.",
]

_BART_GENERATION: dict[str, Any] = {
    "num_beams": 2,
    "max_length": 20,
    "min_length": 5,
    "no_repeat_ngram_size": 3,
    "length_penalty": 2.0,
    "early_stopping": True,
}
_MARIAN_GENERATION: dict[str, Any] = {"num_beams": 2, "max_length": 30}
_T5_GENERATION: dict[str, Any] = {}
_T5_EXTRA_IDS = 10
_SEED = 0
# Every printable ASCII character gets a piece, so prompts such as "summarize: " never hit <unk>.
_ASCII_LINE = " ".join(string.ascii_letters + string.digits + string.punctuation)


def _check_corpus(corpus: Sequence[str]) -> list[str]:
    """Return the corpus as a list of non-empty lines, or raise if nothing is left."""
    lines = [line for line in corpus if line.strip()]
    if not lines:
        raise ValueError("corpus must contain at least one non-empty sentence")
    return lines


def _fillers(count: int, word_start: str) -> list[str]:
    """Placeholder words that pad a small trained vocabulary up to the model's embedding size."""
    # Word-like (with the tokenizer's word-start marker) so that decoded random output reads as words.
    return [f"{word_start}filler{i}" for i in range(count)]


def _train_spm(corpus: list[str], vocab_size: int, **options: Any) -> bytes:
    """Train a unigram SentencePiece model in memory and return the serialized model."""
    import sentencepiece

    model = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter([*corpus, _ASCII_LINE]),
        model_writer=model,
        model_type="unigram",
        vocab_size=vocab_size,
        # A small corpus cannot reach large vocabularies; let the trainer stop where it can.
        hard_vocab_limit=False,
        character_coverage=1.0,
        num_threads=1,
        minloglevel=2,
        **options,
    )
    return model.getvalue()


def _spm_processor(model: bytes) -> Any:
    """Load a SentencePiece processor from serialized model bytes."""
    import sentencepiece

    processor = sentencepiece.SentencePieceProcessor()
    processor.LoadFromSerializedProto(model)
    return processor


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    """Decode a protobuf varint at pos; return (value, next position)."""
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos


def _proto_field(data: bytes, number: int) -> bytes | None:
    """Return the first length-delimited field `number` of a serialized protobuf message."""
    pos = 0
    while pos < len(data):
        key, pos = _read_varint(data, pos)
        wire_type = key & 7
        if wire_type == 0:
            _, pos = _read_varint(data, pos)
        elif wire_type == 1:
            pos += 8
        elif wire_type == 5:
            pos += 4
        elif wire_type == 2:
            length, pos = _read_varint(data, pos)
            if key >> 3 == number:
                return data[pos : pos + length]
            pos += length
        else:
            raise ValueError(f"unsupported protobuf wire type {wire_type}")
    return None


def _spm_charsmap(model: bytes) -> bytes | None:
    """Extract normalizer_spec.precompiled_charsmap from a SentencePiece model (protobuf is not installed)."""
    # ModelProto.normalizer_spec is field 3; NormalizerSpec.precompiled_charsmap is field 2.
    normalizer_spec = _proto_field(model, 3)
    return _proto_field(normalizer_spec, 2) if normalizer_spec else None


def _center_ffn_outputs(model: Any, suffix: str) -> None:
    """Make each feed-forward output projection (modules named *suffix) map a constant input to zero."""
    import torch

    # GELU/SiLU/ReLU outputs have a positive mean, so an uncentered projection adds the same vector at
    # every position; with random weights that vector dominates the logits and pins decoding to one token.
    with torch.no_grad():
        for name, module in model.named_modules():
            if name.endswith(suffix) and isinstance(module, torch.nn.Linear):
                module.weight.sub_(module.weight.mean(dim=1, keepdim=True))


def _seeded_model(model_class: Any, config: Any, adjust: Callable[[Any], None]) -> Any:
    """Instantiate model_class(config) and run adjust(model) under a fixed seed, leaving the global RNG untouched."""
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(_SEED)
        model = model_class(config)
        with torch.no_grad():
            adjust(model)
    return model.eval()


def _save_model(model: Any, path: Path, generation: dict[str, Any]) -> None:
    """Attach a generation config built from `generation` and save the model as safetensors."""
    from transformers import GenerationConfig

    model.generation_config = GenerationConfig(**generation)
    model.save_pretrained(path)


def _token_ids(config: Any, names: Sequence[str]) -> dict[str, Any]:
    """Copy the given special-token ids from a model config (for the generation config)."""
    return {name: getattr(config, name) for name in names}


def build_bart(
    path: Path,
    *,
    corpus: list[str],
    vocab_size: int = 1000,
    d_model: int = 32,
    encoder_layers: int = 2,
    decoder_layers: int = 2,
    ffn_dim: int = 64,
    heads: int = 2,
    max_position_embeddings: int = 256,
    init_std: float = 1.0,
    generation: dict[str, Any] | None = None,
) -> Path:
    """Build a random BART summarizer (distilbart-cnn conventions) with a trained byte-level BPE tokenizer."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import BartConfig, BartForConditionalGeneration, BartTokenizer

    path = Path(path)
    lines = _check_corpus(corpus)
    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    alphabet = pre_tokenizers.ByteLevel.alphabet()
    min_size = len(specials) + len(alphabet) + 1
    if vocab_size < min_size:
        raise ValueError(f"vocab_size must be at least {min_size} for a byte-level BPE vocabulary")

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    # One slot is kept for <mask>, which BART puts after all other tokens.
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size - 1,
        special_tokens=specials,
        initial_alphabet=alphabet,
        show_progress=False,
    )
    bpe.train_from_iterator(lines, trainer=trainer)
    vocab = bpe.get_vocab()
    merges = [tuple(merge) for merge in json.loads(bpe.to_str())["model"]["merges"]]
    # Fillers make every id the model can emit decode to something; no merge ever produces them.
    for token in _fillers(vocab_size - 1 - len(vocab), "Ġ"):
        vocab[token] = len(vocab)
    vocab["<mask>"] = len(vocab)

    tokenizer = BartTokenizer(
        vocab=vocab,
        merges=merges,
        mask_token=AddedToken("<mask>", lstrip=True, rstrip=False),
        model_max_length=max_position_embeddings,
    )
    tokenizer.save_pretrained(path)

    config = BartConfig(
        vocab_size=vocab_size,
        d_model=d_model,
        encoder_layers=encoder_layers,
        decoder_layers=decoder_layers,
        encoder_ffn_dim=ffn_dim,
        decoder_ffn_dim=ffn_dim,
        encoder_attention_heads=heads,
        decoder_attention_heads=heads,
        max_position_embeddings=max_position_embeddings,
        init_std=init_std,
        activation_function="gelu",
        scale_embedding=False,
        bos_token_id=0,
        pad_token_id=1,
        eos_token_id=2,
        decoder_start_token_id=2,
        forced_eos_token_id=2,
    )
    model = _seeded_model(
        BartForConditionalGeneration, config, lambda m: _center_ffn_outputs(m, "fc2")
    )
    ids = _token_ids(
        config, ["bos_token_id", "pad_token_id", "eos_token_id", "decoder_start_token_id"]
    )
    # forced_bos_token_id is a generation-only setting in transformers 5 (the model config drops it).
    ids |= {"forced_bos_token_id": 0, "forced_eos_token_id": 2}
    _save_model(model, path, ids | _BART_GENERATION | (generation or {}))
    return path


def build_marian(
    path: Path,
    *,
    corpus: list[str],
    lang_tokens: Sequence[str] = (),
    vocab_size: int = 1000,
    d_model: int = 32,
    layers: int = 2,
    ffn_dim: int = 64,
    heads: int = 2,
    max_position_embeddings: int = 256,
    init_std: float = 1.0,
    generation: dict[str, Any] | None = None,
    source_lang: str = "en",
    target_lang: str | None = None,
) -> Path:
    """Build a random MarianMT translator (opus-mt conventions) with a trained SentencePiece tokenizer.

    source_lang and target_lang go into tokenizer_config.json as opus-mt repos record them
    (opus-mt-fr-en: "fr" and "en").
    """
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    path = Path(path)
    lines = _check_corpus(corpus)
    lang_tokens = list(dict.fromkeys(lang_tokens))
    for token in lang_tokens:
        if not (token.startswith(">>") and token.endswith("<<")):
            raise ValueError(f"language token {token!r} must look like '>>xxx<<'")
    # vocab.json holds </s>, <unk>, the pieces, the language tokens and a final <pad>.
    piece_budget = vocab_size - len(lang_tokens) - 3
    if piece_budget < 100:
        raise ValueError(
            "vocab_size is too small for a SentencePiece vocabulary plus the language tokens"
        )

    # Real opus-mt spm models use <unk>=0, <s>=1, </s>=2; vocab.json ids differ from spm ids anyway.
    spm_model = _train_spm(lines, piece_budget + 3, unk_id=0, bos_id=1, eos_id=2, pad_id=-1)
    processor = _spm_processor(spm_model)
    pieces = [
        processor.IdToPiece(i)
        for i in range(processor.GetPieceSize())
        if not (processor.IsControl(i) or processor.IsUnknown(i))
    ][:piece_budget]
    tokens = ["</s>", "<unk>", *pieces, *lang_tokens]
    tokens += _fillers(vocab_size - 1 - len(tokens), "▁")
    tokens.append("<pad>")
    vocab = {token: i for i, token in enumerate(tokens)}
    pad_id = vocab["<pad>"]

    path.mkdir(parents=True, exist_ok=True)
    for name in ("source.spm", "target.spm"):
        (path / name).write_bytes(spm_model)
    (path / "vocab.json").write_text(
        json.dumps(vocab, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    tokenizer = MarianTokenizer(
        source_spm=str(path / "source.spm"),
        target_spm=str(path / "target.spm"),
        vocab=str(path / "vocab.json"),
        source_lang=source_lang,
        target_lang=target_lang,
        model_max_length=max_position_embeddings,
    )
    tokenizer.save_pretrained(path)

    config = MarianConfig(
        vocab_size=vocab_size,
        d_model=d_model,
        encoder_layers=layers,
        decoder_layers=layers,
        encoder_ffn_dim=ffn_dim,
        decoder_ffn_dim=ffn_dim,
        encoder_attention_heads=heads,
        decoder_attention_heads=heads,
        max_position_embeddings=max_position_embeddings,
        init_std=init_std,
        activation_function="swish",
        scale_embedding=True,
        bos_token_id=0,
        eos_token_id=0,
        pad_token_id=pad_id,
        decoder_start_token_id=pad_id,
        forced_eos_token_id=0,
        share_encoder_decoder_embeddings=True,
    )

    def adjust(model: Any) -> None:
        _center_ffn_outputs(model, "fc2")
        # scale_embedding multiplies tokens by sqrt(d_model); draw them at 1/sqrt(d_model) so that they
        # end up the size of the fixed sinusoidal positions (values in [-1, 1]) whatever init_std is.
        embeddings = model.get_input_embeddings().weight
        embeddings.normal_(0.0, d_model**-0.5)
        embeddings[pad_id].zero_()
        # Random decoder self-attention locks onto one earlier position and, being far larger than the
        # token embedding, erases which token was just emitted; damping it keeps consecutive steps apart.
        for name, module in model.named_modules():
            if name.startswith("model.decoder.") and name.endswith("self_attn.out_proj"):
                module.weight.mul_(1.0 / d_model)

    model = _seeded_model(MarianMTModel, config, adjust)
    ids = _token_ids(
        config,
        [
            "bos_token_id",
            "pad_token_id",
            "eos_token_id",
            "decoder_start_token_id",
            "forced_eos_token_id",
        ],
    )
    # Real opus-mt generation configs forbid generating <pad>.
    ids["bad_words_ids"] = [[pad_id]]
    _save_model(model, path, ids | _MARIAN_GENERATION | (generation or {}))
    return path


def build_t5(
    path: Path,
    *,
    corpus: list[str],
    vocab_size: int = 1000,
    d_model: int = 32,
    layers: int = 2,
    ffn: int = 64,
    heads: int = 2,
    init_std: float = 1.0,
    generation: dict[str, Any] | None = None,
) -> Path:
    """Build a random T5 model (t5-small conventions) with a trained SentencePiece unigram tokenizer."""
    from transformers import T5Config, T5ForConditionalGeneration, T5Tokenizer

    path = Path(path)
    lines = _check_corpus(corpus)
    piece_budget = vocab_size - _T5_EXTRA_IDS
    if piece_budget < 100:
        raise ValueError(f"vocab_size must be at least {_T5_EXTRA_IDS + 100}")

    spm_model = _train_spm(lines, piece_budget, pad_id=0, eos_id=1, unk_id=2, bos_id=-1)
    processor = _spm_processor(spm_model)
    scores = [
        (processor.IdToPiece(i), processor.GetScore(i)) for i in range(processor.GetPieceSize())
    ]
    # Fillers score far below any real piece, so encoding never picks them; decoding shows them verbatim.
    scores += [(token, -1000.0) for token in _fillers(piece_budget - len(scores), "▁")]
    # As in t5-small, sentinels come last in reverse order (<extra_id_0> has the highest id).
    scores += [(f"<extra_id_{i}>", 0.0) for i in reversed(range(_T5_EXTRA_IDS))]

    tokenizer = T5Tokenizer(
        vocab=scores,
        _spm_precompiled_charsmap=_spm_charsmap(spm_model),
        extra_ids=_T5_EXTRA_IDS,
        model_max_length=512,
    )
    tokenizer.save_pretrained(path)

    config = T5Config(
        vocab_size=vocab_size,
        d_model=d_model,
        d_kv=d_model // heads,
        d_ff=ffn,
        num_layers=layers,
        num_decoder_layers=layers,
        num_heads=heads,
        initializer_factor=init_std,
        feed_forward_proj="relu",
        pad_token_id=0,
        eos_token_id=1,
        decoder_start_token_id=0,
        task_specific_params={
            "summarization": {
                "early_stopping": True,
                "length_penalty": 2.0,
                "max_length": 200,
                "min_length": 30,
                "no_repeat_ngram_size": 3,
                "num_beams": 4,
                "prefix": "summarize: ",
            },
            "translation_en_to_fr": {
                "early_stopping": True,
                "max_length": 300,
                "num_beams": 4,
                "prefix": "translate English to French: ",
            },
        },
    )

    def adjust(model: Any) -> None:
        _center_ffn_outputs(model, ".wo")
        # With tied input/output embeddings and a pre-norm residual stream, full-size embeddings make the
        # previous token the top logit (endless repetition); shrinking them leaves the layers in charge.
        model.get_input_embeddings().weight.mul_(d_model**-0.5)
        # The relative position bias is the only thing telling decoding steps apart; make it matter.
        for name, module in model.named_modules():
            if name.endswith("relative_attention_bias"):
                module.weight.normal_(0.0, 4.0 * init_std)

    model = _seeded_model(T5ForConditionalGeneration, config, adjust)
    ids = _token_ids(config, ["pad_token_id", "eos_token_id", "decoder_start_token_id"])
    _save_model(model, path, ids | _T5_GENERATION | (generation or {}))
    return path


__all__ = ["CORPUS", "build_bart", "build_marian", "build_t5"]  # noqa: RUF022


# --- fixtures laid out like real hub repos of every family briefer meets --------------------


def _damp_decoder(model: Any, d_model: int, pad_id: int | None) -> None:
    """Marian-style adjustments for sinusoidal-position models (M2M100, NLLB, PEGASUS)."""
    _center_ffn_outputs(model, "fc2")
    embeddings = model.get_input_embeddings().weight
    embeddings.normal_(0.0, d_model**-0.5)
    if pad_id is not None:
        embeddings[pad_id].zero_()
    for name, module in model.named_modules():
        if name.startswith("model.decoder.") and name.endswith("self_attn.out_proj"):
            module.weight.mul_(1.0 / d_model)


def _rewrite_json(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    """Load a JSON file, let change() edit it, write it back."""
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def build_bart_config_only(path: Path, *, corpus: list[str], **options: Any) -> Path:
    """Build a tiny BART laid out like sshleifer/distilbart-cnn-12-6: no generation_config.json.

    That repo predates generation_config.json and keeps its generation settings in config.json
    (num_beams 4, max_length 142, min_length 56, no_repeat_ngram_size 3, length_penalty 2.0,
    early_stopping true, forced_bos_token_id 0), with the same values again under
    task_specific_params.summarization; its tokenizer is vocab.json + merges.txt only.
    """
    path = build_bart(Path(path), corpus=corpus, **options)
    (path / "generation_config.json").unlink()
    model = json.loads((path / "tokenizer.json").read_text(encoding="utf-8"))["model"]
    (path / "vocab.json").write_text(json.dumps(model["vocab"], ensure_ascii=False), "utf-8")
    merges = [" ".join(m) if isinstance(m, list) else m for m in model["merges"]]
    (path / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n", "utf-8")
    (path / "tokenizer.json").unlink()
    settings = {
        "num_beams": 4,
        "max_length": 142,
        "min_length": 56,
        "no_repeat_ngram_size": 3,
        "length_penalty": 2.0,
        "early_stopping": True,
    }

    def add(config: dict[str, Any]) -> None:
        config.update(settings)
        config.update(forced_bos_token_id=0, forced_eos_token_id=2, decoder_start_token_id=2)
        config["task_specific_params"] = {"summarization": dict(settings)}

    _rewrite_json(path / "config.json", add)
    return path


def build_m2m100(
    path: Path,
    *,
    corpus: list[str],
    vocab_size: int = 600,
    d_model: int = 32,
    layers: int = 2,
    ffn_dim: int = 64,
    heads: int = 2,
    max_position_embeddings: int = 256,
) -> Path:
    """Build a random M2M100 translator laid out like facebook/m2m100_418M.

    vocab.json + sentencepiece.bpe.model, the hundred __xx__ language tokens after the
    vocabulary (then 8 made-up words), generation_config.json with decoder start </s>.
    """
    from transformers import M2M100Config, M2M100ForConditionalGeneration, M2M100Tokenizer
    from transformers.models.m2m_100.tokenization_m2m_100 import FAIRSEQ_LANGUAGE_CODES

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    lines = _check_corpus(corpus)
    spm_model = _train_spm(lines, vocab_size, unk_id=3, bos_id=0, eos_id=2, pad_id=1)
    processor = _spm_processor(spm_model)
    vocab = {processor.IdToPiece(i): i for i in range(processor.GetPieceSize())}
    (path / "sentencepiece.bpe.model").write_bytes(spm_model)
    (path / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    tokenizer = M2M100Tokenizer(
        vocab_file=str(path / "vocab.json"),
        spm_file=str(path / "sentencepiece.bpe.model"),
        src_lang="en",
        model_max_length=max_position_embeddings,
        # The real repo's tokenizer_config.json lists the language tokens as special tokens.
        additional_special_tokens=[f"__{c}__" for c in FAIRSEQ_LANGUAGE_CODES["m2m100"]],
    )
    tokenizer.save_pretrained(path)
    config = M2M100Config(
        init_std=1.0,
        # Eight "madeupword" slots follow the language tokens, as in the real embedding matrix.
        vocab_size=len(tokenizer) + 8,
        d_model=d_model,
        encoder_layers=layers,
        decoder_layers=layers,
        encoder_ffn_dim=ffn_dim,
        decoder_ffn_dim=ffn_dim,
        encoder_attention_heads=heads,
        decoder_attention_heads=heads,
        max_position_embeddings=max_position_embeddings,
        activation_function="relu",
        scale_embedding=True,
        bos_token_id=0,
        pad_token_id=1,
        eos_token_id=2,
        decoder_start_token_id=2,
    )
    model = _seeded_model(
        M2M100ForConditionalGeneration, config, lambda m: _damp_decoder(m, d_model, 1)
    )
    generation = {
        "bos_token_id": 0,
        "pad_token_id": 1,
        "eos_token_id": 2,
        "decoder_start_token_id": 2,
        "early_stopping": True,
        "num_beams": 2,
        "max_length": 40,
    }
    _save_model(model, path, generation)
    return path


def _bpe_pieces(lines: list[str], size: int) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """Train a Metaspace BPE (as NLLB's sentencepiece BPE) and return its vocab and merges."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    bpe = Tokenizer(models.BPE(unk_token="<unk>"))
    bpe.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    trainer = trainers.BpeTrainer(
        vocab_size=size,
        special_tokens=["<s>", "<pad>", "</s>", "<unk>"],
        initial_alphabet=list(_ASCII_LINE.replace(" ", "")),
        show_progress=False,
    )
    bpe.train_from_iterator([*lines, _ASCII_LINE], trainer=trainer)
    merges = [tuple(m) for m in json.loads(bpe.to_str())["model"]["merges"]]
    return bpe.get_vocab(), merges


def build_nllb(
    path: Path,
    *,
    corpus: list[str],
    vocab_size: int = 600,
    d_model: int = 32,
    layers: int = 2,
    ffn_dim: int = 64,
    heads: int = 2,
    max_position_embeddings: int = 256,
) -> Path:
    """Build a random NLLB-200 translator laid out like facebook/nllb-200-distilled-600M.

    An M2M100 network (model_type m2m_100) with a BPE tokenizer.json, <s>=0 <pad>=1 </s>=2
    <unk>=3, the 202 fra_Latn-style codes and <mask> after the pieces; generation_config.json
    holds the special ids and max_length 200 and nothing about a target.
    """
    from transformers import M2M100Config, M2M100ForConditionalGeneration, NllbTokenizer

    path = Path(path)
    lines = _check_corpus(corpus)
    vocab, merges = _bpe_pieces(lines, vocab_size)
    tokenizer = NllbTokenizer(
        vocab=vocab,
        merges=merges,
        src_lang="eng_Latn",
        model_max_length=max_position_embeddings,
    )
    tokenizer.save_pretrained(path)
    config = M2M100Config(
        init_std=1.0,
        vocab_size=len(tokenizer),
        d_model=d_model,
        encoder_layers=layers,
        decoder_layers=layers,
        encoder_ffn_dim=ffn_dim,
        decoder_ffn_dim=ffn_dim,
        encoder_attention_heads=heads,
        decoder_attention_heads=heads,
        max_position_embeddings=max_position_embeddings,
        activation_function="relu",
        scale_embedding=True,
        bos_token_id=0,
        pad_token_id=1,
        eos_token_id=2,
        decoder_start_token_id=2,
    )
    model = _seeded_model(
        M2M100ForConditionalGeneration, config, lambda m: _damp_decoder(m, d_model, 1)
    )
    generation = {
        "bos_token_id": 0,
        "pad_token_id": 1,
        "eos_token_id": 2,
        "decoder_start_token_id": 2,
        "max_length": 40,
    }
    _save_model(model, path, generation)
    return path


def build_mbart50(
    path: Path,
    *,
    corpus: list[str],
    vocab_size: int = 600,
    d_model: int = 32,
    layers: int = 2,
    ffn_dim: int = 64,
    heads: int = 2,
    max_position_embeddings: int = 256,
) -> Path:
    """Build a random mBART-50 translator laid out like facebook/mbart-large-50-one-to-many-mmt.

    sentencepiece.bpe.model beside the tokenizer files, fairseq ids (<s>=0 <pad>=1 </s>=2
    <unk>=3), the 52 fr_XX-style codes and <mask> last; config.json with model_type mbart,
    pre-norm layers; generation_config.json with decoder start </s> and forced EOS.
    """
    from transformers import MBart50Tokenizer, MBartConfig, MBartForConditionalGeneration

    path = Path(path)
    lines = _check_corpus(corpus)
    spm_model = _train_spm(lines, vocab_size, unk_id=0, bos_id=1, eos_id=2, pad_id=-1)
    processor = _spm_processor(spm_model)
    scores = [
        (processor.IdToPiece(i), processor.GetScore(i)) for i in range(processor.GetPieceSize())
    ]
    tokenizer = MBart50Tokenizer(
        vocab=scores,
        _spm_precompiled_charsmap=_spm_charsmap(spm_model),
        src_lang="en_XX",
        model_max_length=max_position_embeddings,
        # The real repo's special_tokens_map.json names <s> as bos_token too.
        bos_token="<s>",
    )
    tokenizer.save_pretrained(path)
    (path / "sentencepiece.bpe.model").write_bytes(spm_model)
    config = MBartConfig(
        init_std=1.0,
        vocab_size=len(tokenizer),
        d_model=d_model,
        encoder_layers=layers,
        decoder_layers=layers,
        encoder_ffn_dim=ffn_dim,
        decoder_ffn_dim=ffn_dim,
        encoder_attention_heads=heads,
        decoder_attention_heads=heads,
        max_position_embeddings=max_position_embeddings,
        activation_function="gelu",
        scale_embedding=True,
        bos_token_id=0,
        pad_token_id=1,
        eos_token_id=2,
        decoder_start_token_id=2,
        forced_eos_token_id=2,
    )
    model = _seeded_model(
        MBartForConditionalGeneration, config, lambda m: _damp_decoder(m, d_model, 1)
    )
    generation = {
        "bos_token_id": 0,
        "pad_token_id": 1,
        "eos_token_id": 2,
        "decoder_start_token_id": 2,
        "forced_eos_token_id": 2,
        "early_stopping": True,
        "num_beams": 2,
        "max_length": 40,
    }
    _save_model(model, path, generation)
    return path


def build_pegasus(
    path: Path,
    *,
    corpus: list[str],
    vocab_size: int = 700,
    d_model: int = 32,
    layers: int = 2,
    ffn_dim: int = 64,
    heads: int = 2,
    max_position_embeddings: int = 256,
    newline_bias: float = 0.0,
) -> Path:
    """Build a random PEGASUS summarizer laid out like google/pegasus-cnn_dailymail.

    spiece.model with <pad>=0 </s>=1 <unk>=2 and the ordinary piece "<n>" for a line break,
    103 reserved ids (<mask_1>, <mask_2>, <unk_2>..<unk_102>) before the pieces; config.json
    keeps the generation settings (num_beams, max_length 128, length_penalty 0.8) and no
    generation_config.json. newline_bias raises the logit of "<n>" so that a random model
    writes it, as trained PEGASUS models do between sentences.
    """
    from transformers import PegasusConfig, PegasusForConditionalGeneration, PegasusTokenizer

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    lines = _check_corpus(corpus)
    spm_model = _train_spm(
        lines, vocab_size, pad_id=0, eos_id=1, unk_id=2, bos_id=-1, user_defined_symbols=["<n>"]
    )
    processor = _spm_processor(spm_model)
    offset = 103
    vocab = [("<pad>", 0.0), ("</s>", 0.0), ("<mask_1>", 0.0), ("<mask_2>", 0.0)]
    vocab += [(f"<unk_{i}>", -100.0) for i in range(2, offset)]
    vocab += [
        (processor.IdToPiece(i), processor.GetScore(i)) for i in range(2, processor.GetPieceSize())
    ]
    tokenizer = PegasusTokenizer(
        vocab=vocab,
        _spm_precompiled_charsmap=_spm_charsmap(spm_model),
        offset=offset,
        model_max_length=max_position_embeddings,
    )
    tokenizer.save_pretrained(path)
    (path / "spiece.model").write_bytes(spm_model)
    newline = tokenizer.convert_tokens_to_ids("<n>")
    config = PegasusConfig(
        init_std=1.0,
        vocab_size=len(tokenizer),
        d_model=d_model,
        encoder_layers=layers,
        decoder_layers=layers,
        encoder_ffn_dim=ffn_dim,
        decoder_ffn_dim=ffn_dim,
        encoder_attention_heads=heads,
        decoder_attention_heads=heads,
        max_position_embeddings=max_position_embeddings,
        activation_function="relu",
        scale_embedding=True,
        pad_token_id=0,
        eos_token_id=1,
        decoder_start_token_id=0,
        forced_eos_token_id=1,
    )

    def adjust(model: Any) -> None:
        _damp_decoder(model, d_model, 0)
        model.final_logits_bias[0, newline] += newline_bias

    model = _seeded_model(PegasusForConditionalGeneration, config, adjust)
    model.save_pretrained(path)
    (path / "generation_config.json").unlink(missing_ok=True)

    def add(data: dict[str, Any]) -> None:
        data.update(
            num_beams=2,
            max_length=128,
            min_length=8,
            length_penalty=0.8,
            forced_eos_token_id=1,
            decoder_start_token_id=0,
        )

    _rewrite_json(path / "config.json", add)
    return path


__all__ += [
    "build_bart_config_only",
    "build_m2m100",
    "build_mbart50",
    "build_nllb",
    "build_pegasus",
]
