//! Architecture configs as the spec writes them: tagged by `arch`, defaults
//! filled, unknown keys rejected, required inputs declared.

use mer_model::neural::*;

#[test]
fn arch_tag_selects_the_config_and_defaults_fill_the_rest() {
    let cfg: NeuralConfig = toml::from_str("arch = \"gated_fusion\"\nhidden = 64\n").unwrap();
    let NeuralConfig::GatedFusion(g) = &cfg else {
        panic!("{cfg:?}")
    };
    assert_eq!(g.hidden, 64);
    assert_eq!(g.dropout, 0.4);
    assert_eq!(
        g.text,
        TextEncoderConfig::Projection(ProjectionEncoderConfig { dim: 128 })
    );
    assert_eq!(
        cfg.required_inputs(),
        vec![InputKind::AudioVector, InputKind::TextVector]
    );
    // canonical: serialising and parsing again gives the same value
    let text = toml::to_string(&cfg).unwrap();
    assert!(text.starts_with("arch = \"gated_fusion\""), "{text}");
    assert_eq!(toml::from_str::<NeuralConfig>(&text).unwrap(), cfg);
}

#[test]
fn nested_text_encoder_and_required_inputs() {
    let cfg: NeuralConfig =
        toml::from_str("arch = \"concat_lstm\"\n[text]\nkind = \"bilstm\"\nhidden = 32\n").unwrap();
    assert_eq!(
        cfg.required_inputs(),
        vec![InputKind::AudioMel, InputKind::TextTokens]
    );
    let cfg: NeuralConfig =
        toml::from_str("arch = \"conv_gru_transformer\"\ninput = \"waveform\"\n").unwrap();
    assert_eq!(cfg.required_inputs(), vec![InputKind::AudioWaveform]);
    let cfg: NeuralConfig = toml::from_str("arch = \"residual_mlp\"\ninput = \"text\"\n").unwrap();
    assert_eq!(cfg.required_inputs(), vec![InputKind::TextVector]);
    for (arch, kind) in [
        ("bilstm_cnn", InputKind::AudioSequence),
        ("lstm_cnn", InputKind::AudioSequence),
        ("cnn2d", InputKind::AudioMel),
        ("cnn2d_specaug", InputKind::AudioMel),
        ("text_bilstm", InputKind::TextTokens),
        ("text_cnn", InputKind::TextTokens),
        ("text_projection", InputKind::TextVector),
    ] {
        let cfg: NeuralConfig = toml::from_str(&format!("arch = \"{arch}\"")).unwrap();
        assert_eq!(cfg.arch(), arch);
        assert_eq!(cfg.required_inputs(), vec![kind], "{arch}");
        cfg.validate().unwrap();
    }
}

#[test]
fn unknown_keys_and_archs_are_rejected() {
    let err = toml::from_str::<NeuralConfig>("arch = \"cnn2d\"\nchanels = [8]\n").unwrap_err();
    assert!(err.to_string().contains("unknown field `chanels`"), "{err}");
    let err = toml::from_str::<NeuralConfig>("arch = \"resnet\"\n").unwrap_err();
    assert!(
        err.to_string().contains("unknown variant `resnet`"),
        "{err}"
    );
    let err =
        toml::from_str::<NeuralConfig>("arch = \"cnn2d_specaug\"\n[specaug]\nfreq_mask = 3\n")
            .unwrap_err();
    assert!(
        err.to_string().contains("unknown field `freq_mask`"),
        "{err}"
    );
}

#[test]
fn validate_names_arch_key_and_rule() {
    let cfg: NeuralConfig = toml::from_str("arch = \"cnn2d\"\ndropout = 1.0\n").unwrap();
    assert_eq!(
        cfg.validate().unwrap_err().to_string(),
        "dropout: must be a probability in [0, 1) (found 1)"
    );
    // Seen from [model], the architecture's table is part of the key.
    let model = mer_model::ModelConfig::Neural(cfg);
    assert_eq!(
        model.validate().unwrap_err().key().to_string(),
        "cnn2d.dropout"
    );
    let cfg: NeuralConfig =
        toml::from_str("arch = \"conv_gru_transformer\"\ngru_hidden = 10\nheads = 4\n").unwrap();
    assert_eq!(cfg.validate().unwrap_err().key().to_string(), "heads");
    let cfg: NeuralConfig = toml::from_str("arch = \"bilstm_cnn\"\nconv_channels = []\n").unwrap();
    assert_eq!(
        cfg.validate().unwrap_err().key().to_string(),
        "conv_channels"
    );
}
